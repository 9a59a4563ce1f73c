package features

import "strings"

// Pos is a source position (_source_pos) packed for fast comparison. MySQL/MariaDB
// positions ("%010d:%020d:%06d" of binlog file, offset, row) pack into two integers; any
// other format is kept as its (byte-wise sortable) text. A snapshot read sorts before a
// streamed change at the same position, so a read never shadows a change.
type Pos struct {
	file uint64 // binlog file number, or ^0 for a text position
	off  uint64 // offset<<20 | row
	text string
	read bool // op r
}

// ParsePos packs a _source_pos; read is true for snapshot reads (op r).
func ParsePos(s string, read bool) Pos {
	if len(s) == 10+1+20+1+6 && s[10] == ':' && s[31] == ':' {
		file, ok1 := digits(s[:10])
		off, ok2 := digits(s[11:31])
		row, ok3 := digits(s[32:])
		if ok1 && ok2 && ok3 && off < 1<<44 && row < 1<<20 {
			return Pos{file: file, off: off<<20 | row, read: read}
		}
	}
	return Pos{file: ^uint64(0), text: strings.Clone(s), read: read}
}

func digits(s string) (uint64, bool) {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// Compare orders positions: -1, 0, +1.
func (p Pos) Compare(o Pos) int {
	switch {
	case p.file != o.file:
		if p.file < o.file {
			return -1
		}
		return 1
	case p.off != o.off:
		if p.off < o.off {
			return -1
		}
		return 1
	case p.text != o.text:
		if p.text < o.text {
			return -1
		}
		return 1
	case p.read != o.read:
		if p.read {
			return -1
		}
		return 1
	}
	return 0
}
