package tableview

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Text prints a cell exactly: decimals at their scale, timestamps in UTC to the microsecond,
// NULL for a null, tabs and newlines escaped so that a row stays on one line.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(x)
	default:
		b, _ := json.Marshal(JSONValue(v))
		return strings.Trim(string(b), `"`)
	}
}

// Ellipsis ends a cell that Truncate shortened.
const Ellipsis = "…"

// Truncate shortens s to at most width characters, the last being Ellipsis, so that one
// wide value (a JSON before image, a 1 MB TEXT column) does not push every other column off
// the screen. width <= 0 keeps s whole.
func Truncate(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	if width == 1 {
		return Ellipsis
	}
	n := 0
	for i := range s {
		if n == width-1 {
			return s[:i] + Ellipsis
		}
		n++
	}
	return s
}

// JSONValue turns a cell into a JSON-friendly value without losing precision: a decimal is a
// json.Number with its exact text, a date "YYYY-MM-DD", a timestamp RFC 3339 in UTC with
// microseconds, binary base64.
func JSONValue(v any) any {
	switch x := v.(type) {
	case schema.Decimal:
		return json.Number(x.String())
	case schema.Date:
		return x.String()
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e)
		}
		return out
	case []schema.MapEntry:
		out := make([][2]any, len(x))
		for i, e := range x {
			out[i] = [2]any{JSONValue(e.Key), JSONValue(e.Value)}
		}
		return out
	}
	return v
}
