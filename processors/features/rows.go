package features

import (
	"bytes"

	engine "github.com/ledgerflow/ledgerflow/engine/features"
)

// appendMembers adds the f_ members to a JSON object row, before its closing brace.
func appendMembers(row []byte, d *engine.Decl, res engine.Result, _ bool) []byte {
	end := bytes.LastIndexByte(row, '}')
	if end < 0 {
		return row
	}
	out := make([]byte, 0, len(row)+64*len(d.Fields))
	out = append(out, row[:end]...)
	members := d.AppendMembers(nil, res)
	if bytes.TrimSpace(row[1:end]) == nil || len(bytes.TrimSpace(row[1:end])) == 0 {
		members = members[1:] // an empty object: no leading comma
	}
	out = append(out, members...)
	return append(out, row[end:]...)
}

func correctionRow(d *engine.Decl, c engine.Correction) []byte { return d.CorrectionRow(c) }
