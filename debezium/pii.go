package debezium

import (
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
)

// withhold rewrites an error about the value at b[a:] of a column tagged pii (personal
// data: names, contacts, identity numbers): the message goes into the dead-letter reason
// and into logs, which are not where personal data may be kept, so it names the value's
// JSON type and length instead of quoting it. The raw record itself stays in the dead
// letter, which is the place governed for it.
func withhold(err error, b []byte, a int, tag string) error {
	e, ok := err.(*Error)
	if !ok || e.Value == "" || e.Value == "null" || e.Value == "(absent)" {
		return err
	}
	cp := *e
	cp.Value, cp.Withheld = describeValue(b, a)+" (value withheld: pii "+tag+")", true
	return &cp
}

// describeValue says what the JSON value at b[a:] is without quoting it: "a string of 12
// characters" (decoded characters), "a number of 7 characters", "an object of 14
// characters". A value that is not valid JSON is described by its first byte only.
func describeValue(b []byte, a int) string {
	s := &scanner{Scanner: jsonscan.Scanner{B: b, I: a}, lenient: true}
	var kind string
	switch s.Peek() {
	case '"':
		start, end, esc, err := s.str()
		if err != nil {
			return "a malformed string"
		}
		text := b[start:end]
		if esc {
			text = unquote(nil, text)
		}
		return "a string of " + characters(utf8.RuneCount(text))
	case '{':
		kind = "an object"
	case '[':
		kind = "an array"
	case 't', 'f':
		kind = "a boolean"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		kind = "a number"
	default:
		return "a value that is not JSON"
	}
	start := s.I
	if err := s.skipDepth(0); err != nil {
		return "malformed JSON (" + kind + ")"
	}
	return kind + " of " + characters(s.I-start)
}

func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return itoa(n) + " characters"
}
