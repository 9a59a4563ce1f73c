package configlint

import (
	"sort"
	"unicode/utf8"
)

// lineIndex converts between byte offsets and the 1-based line and column (in characters, as
// the YAML parser counts them) of a text.
type lineIndex struct {
	text   []byte
	starts []int
}

func newLineIndex(text []byte) lineIndex {
	starts := []int{0}
	for i, b := range text {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return lineIndex{text: text, starts: starts}
}

// offset is the byte offset of line and column, clamped to the text.
func (x lineIndex) offset(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(x.starts) {
		return len(x.text)
	}
	o := x.starts[line-1]
	end := len(x.text)
	if line < len(x.starts) {
		end = x.starts[line] - 1
	}
	for c := 1; c < col && o < end; c++ {
		_, w := utf8.DecodeRune(x.text[o:end])
		o += w
	}
	return o
}

// position is the line and column of byte offset o.
func (x lineIndex) position(o int) (line, col int) {
	if o > len(x.text) {
		o = len(x.text)
	}
	if o < 0 {
		o = 0
	}
	line = sort.Search(len(x.starts), func(i int) bool { return x.starts[i] > o }) // starts[0] = 0 <= o
	start := x.starts[line-1]
	return line, utf8.RuneCount(x.text[start:o]) + 1
}
