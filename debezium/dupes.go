package debezium

import "bytes"

// nameSet finds repeated member names in one JSON object whose names are not known in
// advance (known names use bit masks or column stamps, which cost nothing). Debezium never
// repeats a key, and JSON parsers disagree on which copy wins, so a repeat is an error
// rather than something to resolve. Small objects are searched linearly; past
// nameSetLinear names a map keeps a hostile object with a million keys linear.
type nameSet struct {
	names [][]byte
	m     map[string][]byte // lower-cased name -> name, once there are many
}

const nameSetLinear = 16

func (n *nameSet) reset() {
	if len(n.names) > 0 || n.m != nil {
		n.names = n.names[:0]
		n.m = nil
	}
}

// add records name and reports whether the same name (dup) or one equal to it but for ASCII
// case (fold, only when fold is asked for) was added before. name must stay valid until
// reset.
func (n *nameSet) add(name []byte, fold bool) (dup, folded bool) {
	if n.m == nil {
		for _, o := range n.names {
			if len(o) != len(name) {
				continue
			}
			if bytes.Equal(o, name) {
				return true, false
			}
			if fold && equalFoldASCII(o, name) {
				return false, true
			}
		}
		n.names = append(n.names, name)
		if len(n.names) > nameSetLinear {
			n.m = make(map[string][]byte, 2*nameSetLinear)
			for _, o := range n.names {
				n.m[string(lowerASCII(o))] = o
			}
		}
		return false, false
	}
	key := string(lowerASCII(name))
	if o, ok := n.m[key]; ok {
		if bytes.Equal(o, name) {
			return true, false
		}
		if fold {
			return false, true
		}
		// Case-sensitive object with two names of one fold: keep both under distinct keys.
		key += "\x00" + string(name)
		if _, ok := n.m[key]; ok {
			return true, false
		}
	}
	n.m[key] = name
	return false, false
}

// equalFoldASCII compares names ignoring ASCII case only, the same folding the map uses,
// so the answer does not depend on how many names an object has.
func equalFoldASCII(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
