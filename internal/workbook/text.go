package workbook

import (
	"bytes"
	"io"
	"strings"
	"unicode"
)

// Text aligns the command line's tables the way text/tabwriter does
// (cells end at a tab; consecutive lines with tabs form one block, whose
// columns line up), but measures a cell by its width on a terminal: a
// Chinese character takes two columns, so the Chinese tables line up as
// the English ones do. Write to it, then Flush.
type Text struct {
	out   io.Writer
	gap   int
	right bool
	buf   bytes.Buffer
}

// NewText returns a Text writing to out with gap spaces between columns;
// right aligns cells to the right (figures), else to the left.
func NewText(out io.Writer, gap int, right bool) *Text {
	return &Text{out: out, gap: gap, right: right}
}

func (t *Text) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes what was written, aligned.
func (t *Text) Flush() error {
	lines := strings.Split(t.buf.String(), "\n")
	t.buf.Reset()
	var b strings.Builder
	for i := 0; i < len(lines); {
		if !strings.Contains(lines[i], "\t") {
			b.WriteString(lines[i])
			if i < len(lines)-1 {
				b.WriteByte('\n')
			}
			i++
			continue
		}
		j := i
		for j < len(lines) && strings.Contains(lines[j], "\t") {
			j++
		}
		t.block(&b, lines[i:j], j < len(lines))
		i = j
	}
	_, err := io.WriteString(t.out, b.String())
	return err
}

// block aligns lines; the cells before each tab are aligned, the text
// after a line's last tab is written as it is.
func (t *Text) block(b *strings.Builder, lines []string, newline bool) {
	rows := make([][]string, len(lines))
	var widths []int
	for i, l := range lines {
		rows[i] = strings.Split(l, "\t")
		for c, cell := range rows[i][:len(rows[i])-1] {
			if c >= len(widths) {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], Width(cell))
		}
	}
	for i, r := range rows {
		var line strings.Builder
		for c, cell := range r[:len(r)-1] {
			pad := strings.Repeat(" ", widths[c]-Width(cell))
			if t.right {
				line.WriteString(pad + cell)
			} else {
				line.WriteString(cell + pad)
			}
			line.WriteString(strings.Repeat(" ", t.gap))
		}
		line.WriteString(r[len(r)-1])
		// No trailing blanks: a line ends where its last cell does.
		b.WriteString(strings.TrimRight(line.String(), " "))
		if i < len(rows)-1 || newline {
			b.WriteByte('\n')
		}
	}
}

// Width is s's width on a terminal: two columns for a Han character and
// for the full-width forms and punctuation of Chinese text, one for the
// rest.
func Width(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r),
			r >= 0x3000 && r <= 0x303F, // CJK punctuation: 、。〔〕
			r >= 0xFF01 && r <= 0xFF60, // full-width forms: （），：；％
			r >= 0xFFE0 && r <= 0xFFE6:
			w += 2
		default:
			w++
		}
	}
	return w
}
