#!/bin/sh
# The binary size each candidate adds to a small HTTP server that writes
# one counter by hand (size/none), and the modules each pulls into the
# build.
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags none -trimpath -ldflags=-s -o "$tmp/none" ./size
base=$(stat -c %s "$tmp/none")
for lib in victoriametrics client_golang; do
	go build -tags $lib -trimpath -ldflags=-s -o "$tmp/$lib" ./size
	size=$(stat -c %s "$tmp/$lib")
	mods=$(go list -tags $lib -deps -f '{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}' ./size | sort -u)
	echo "$lib: +$(( (size - base) / 1024 )) KiB stripped ($size vs $base bytes); modules in the build: $(echo "$mods" | wc -w) ($(echo $mods))"
done
