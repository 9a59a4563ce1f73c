package pii

import (
	"bytes"
	"net/netip"
	"unicode"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
)

// redacted replaces whatever a mask does not keep. It is fixed, so a mask never reveals a
// value's length.
const redacted = "***"

// appendMask writes the masked text as a JSON string. shaped is false when the value did not
// have the shape the column's mask keeps (an IP column holding something other than an IP
// address, a contact that is neither an e-mail address nor a phone number), in which case
// nothing of it is kept: the caller counts these.
//
// What each mask keeps (documented in the processor's spec):
//
//	network   IPv4 → its /24 network ("192.168.1.77" → "192.168.1.0"), IPv6 → its /48
//	          ("2001:db8:85a3::1" → "2001:db8:85a3::"), IPv4-mapped IPv6 → the /24 of the
//	          IPv4 address ("::ffff:192.168.1.0"); zones are removed
//	contact   e-mail → the domain ("ada@example.org" → "***@example.org"); phone number
//	          (digits, spaces and + - . ( ), at least 6 digits) → its last two digits
//	          ("+44 20 7946 0958" → "***58")
//	name      the first letter ("Lovelace" → "L***")
//	other     nothing ("***")
//
// An empty string stays empty: there is nothing to hide.
func appendMask(dst []byte, kind maskKind, text []byte) (out []byte, shaped bool) {
	if len(text) == 0 {
		return append(dst, `""`...), true
	}
	switch kind {
	case maskIP:
		if out, ok := appendIPMask(dst, text); ok {
			return out, true
		}
	case maskContact:
		if at := bytes.LastIndexByte(text, '@'); at > 0 && at < len(text)-1 {
			dst = jsonscan.AppendEscaped(append(dst, `"***@`...), text[at+1:])
			return append(dst, '"'), true
		}
		if d, ok := phoneTail(text); ok {
			return append(dst, '"', '*', '*', '*', d[0], d[1], '"'), true
		}
	case maskName:
		i := 0
		for i < len(text) {
			r, n := utf8.DecodeRune(text[i:])
			if unicode.IsSpace(r) {
				i += n
				continue
			}
			if r == utf8.RuneError || !unicode.IsLetter(r) {
				break
			}
			dst = jsonscan.AppendEscaped(append(dst, '"'), text[i:i+n])
			return append(dst, `***"`...), true
		}
	case maskRedact:
		return append(dst, `"`+redacted+`"`...), true
	}
	return append(dst, `"`+redacted+`"`...), false
}

func appendIPMask(dst, text []byte) ([]byte, bool) {
	addr, err := netip.ParseAddr(string(text))
	if err != nil {
		return dst, false
	}
	addr = addr.WithZone("")
	bits := 48
	switch {
	case addr.Is4():
		bits = 24
	case addr.Is4In6():
		bits = 96 + 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return dst, false
	}
	dst = append(dst, '"')
	dst = p.Addr().AppendTo(dst)
	return append(dst, '"'), true
}

// phoneTail returns the last two digits of text if it looks like a phone number.
func phoneTail(text []byte) ([2]byte, bool) {
	var last [2]byte
	digits := 0
	for _, c := range text {
		switch {
		case c >= '0' && c <= '9':
			last[0], last[1] = last[1], c
			digits++
		case c == ' ' || c == '+' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return last, false
		}
	}
	return last, digits >= 6
}
