// Package atomicfile writes files so that a reader never sees half of
// one: the bytes go to a temporary file in the target's directory, which
// is synced and then renamed over the target. A failed write leaves the
// target as it was and no temporary file behind.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// File is a temporary file that becomes a target file on Commit.
type File struct {
	*os.File
	done bool
}

// New creates a temporary file in dir (".<prefix>*").
func New(dir, prefix string) (*File, error) {
	f, err := os.CreateTemp(dir, "."+prefix+"*")
	if err != nil {
		return nil, err
	}
	return &File{File: f}, nil
}

// Commit syncs and closes the file, gives it mode and renames it to path
// (in the same file system as the directory given to New).
func (f *File) Commit(path string, mode os.FileMode) error {
	err := f.Chmod(mode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	f.done = true
	return nil
}

// Abort closes and removes the file unless it was committed; deferring it
// after New cleans up on every early return.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.File.Close()
	os.Remove(f.Name())
	f.done = true
}

// Write writes path atomically with what fn writes (buffered).
func Write(path string, mode os.FileMode, fn func(io.Writer) error) error {
	f, err := New(filepath.Dir(path), filepath.Base(path)+".")
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Commit(path, mode)
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	return Write(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Out writes what fn writes to stdout when path is "" or "-", else to
// path atomically (mode 0644).
func Out(path string, stdout io.Writer, fn func(io.Writer) error) error {
	if path == "" || path == "-" {
		return fn(stdout)
	}
	return Write(path, 0o644, fn)
}
