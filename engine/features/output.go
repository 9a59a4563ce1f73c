package features

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Present reports whether res has values for object (false when the scored row's key of
// that object is null, e.g. no device).
func (d *Decl) Present(res Result, object string) bool {
	for ki := range d.Keys {
		if d.Keys[ki].Object == object {
			return res.Missing&(1<<ki) == 0
		}
	}
	return false
}

// String renders the position as _source_pos does.
func (p Pos) String() string {
	if p.file == ^uint64(0) {
		return p.text
	}
	return fmt.Sprintf("%010d:%020d:%06d", p.file, p.off>>20, p.off&(1<<20-1))
}

// AppendMembers appends `,"f_<object>_<name>":value` for every field of res (objects
// without a key are left out) and `,"features_provisional":bool`. Times are RFC 3339 UTC
// strings, money decimal strings, lists JSON arrays.
func (d *Decl) AppendMembers(dst []byte, res Result) []byte {
	for i, f := range d.Fields {
		if !d.Present(res, f.Object) {
			continue
		}
		dst = append(dst, `,"f_`...)
		dst = append(dst, f.Object...)
		dst = append(dst, '_')
		dst = append(dst, f.Name...)
		dst = append(dst, `":`...)
		dst = appendJSONValue(dst, res.Values[i])
	}
	dst = append(dst, `,"features_provisional":`...)
	dst = strconv.AppendBool(dst, res.Provisional)
	return dst
}

// CorrectionRow renders a correction as a compact JSON row: the transaction id, the
// _source_pos of the corrected version, its event time, the stored key and aggregated
// columns, the f_ members and "features_correction":true.
func (d *Decl) CorrectionRow(c Correction) []byte {
	b := []byte(`{"`)
	b = append(b, d.idColumn...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, c.TxID, 10)
	b = append(b, `,"_source_pos":`...)
	b = strconv.AppendQuote(b, c.Pos.String())
	b = append(b, `,"`...)
	b = append(b, d.Time...)
	b = append(b, `":`...)
	b = appendJSONValue(b, time.UnixMicro(c.Anchor).UTC())
	for s := 0; s < d.nStored; s++ {
		col := d.cols[s]
		if col.object != "" || col.name == d.Time {
			continue
		}
		b = append(b, ',')
		b = strconv.AppendQuote(b, col.name)
		b = append(b, ':')
		b = appendJSONValue(b, c.Values[s].out(col.typ))
	}
	b = d.AppendMembers(b, c.Result)
	b = append(b, `,"features_correction":true}`...)
	return b
}

func appendJSONValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case string:
		return strconv.AppendQuote(dst, x)
	case bool:
		return strconv.AppendBool(dst, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, x, 'g', -1, 64)
	case time.Time:
		dst = append(dst, '"')
		dst = x.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
		return append(dst, '"')
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, e)
		}
		return append(dst, ']')
	}
	b, _ := json.Marshal(v)
	return append(dst, b...)
}
