package registry

import (
	"errors"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Counts summarises a registry for the operator.
func Counts(r *model.Registry) string {
	return fmt.Sprintf("%d counties, %d enterprises, %d outlets, %d devices",
		len(r.Counties), len(r.Enterprises), len(r.Outlets), len(r.Devices))
}

// PrintProblems prints the problems of an ErrorList one a line on w and
// returns the error a command fails with, saying what became of path
// (what: "not valid", "nothing imported"). Another error is returned as
// it is.
func PrintProblems(w io.Writer, err error, path, what string) error {
	var list ErrorList
	if !errors.As(err, &list) {
		return err
	}
	for _, e := range list {
		fmt.Fprintln(w, e)
	}
	s := map[bool]string{true: "", false: "s"}[len(list) == 1]
	return fmt.Errorf("%d problem%s in %s; %s", len(list), s, path, what)
}
