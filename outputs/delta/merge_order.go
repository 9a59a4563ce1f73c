package delta

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// encodeKey turns the primary-key values of a row into a map key. Integers take 8 bytes, so
// a million-key index of the bank tables stays small; the type tag keeps 1 and "1" apart.
func encodeKey(row []any, keyIdx []int) (string, error) {
	var buf [64]byte
	b := buf[:0]
	for _, i := range keyIdx {
		switch v := row[i].(type) {
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 'l'), uint64(v))
		case int32:
			b = binary.BigEndian.AppendUint64(append(b, 'l'), uint64(int64(v)))
		case int16:
			b = binary.BigEndian.AppendUint64(append(b, 'l'), uint64(int64(v)))
		case int8:
			b = binary.BigEndian.AppendUint64(append(b, 'l'), uint64(int64(v)))
		case string:
			b = binary.AppendUvarint(append(b, 's'), uint64(len(v)))
			b = append(b, v...)
		case []byte:
			b = binary.AppendUvarint(append(b, 'b'), uint64(len(v)))
			b = append(b, v...)
		case schema.Decimal:
			s := v.String()
			b = binary.AppendUvarint(append(b, 'd'), uint64(len(s)))
			b = append(b, s...)
		case schema.Date:
			b = binary.BigEndian.AppendUint32(append(b, 'D'), uint32(int32(v)))
		case time.Time:
			b = binary.BigEndian.AppendUint64(append(b, 't'), uint64(v.UnixMicro()))
		case bool:
			if v {
				b = append(b, 'T')
			} else {
				b = append(b, 'F')
			}
		case nil:
			return "", fmt.Errorf("key column is null")
		default:
			return "", fmt.Errorf("key value %v of type %T cannot be a key", v, v)
		}
	}
	return string(b), nil
}

// Ranks order events at the same sequence value: a snapshot read (op r) shows the state
// before any change streamed at the same binlog position, so the streamed change wins.
const (
	rankRead   = 0
	rankStream = 1
)

// orderOf is the comparable form of an event's place in the source's history: the sequence
// value encoded so that byte order is value order, then the rank. Two events with equal
// orders are the same change (a redelivery).
func orderOf(seq any, op string) (string, error) {
	var buf [48]byte
	b := buf[:0]
	switch v := seq.(type) {
	case string:
		if packed, ok := packBinlogPos(b, v); ok {
			b = packed
			break
		}
		// Escape 0x00 so that a shorter value sorts first whatever follows it.
		for i := 0; i < len(v); i++ {
			if v[i] == 0 {
				b = append(b, 0, 0xff)
			} else {
				b = append(b, v[i])
			}
		}
		b = append(b, 0, 0)
	case int64:
		b = binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
	case int32:
		b = binary.BigEndian.AppendUint64(b, uint64(int64(v))^(1<<63))
	case time.Time:
		b = binary.BigEndian.AppendUint64(b, uint64(v.UnixMicro())^(1<<63))
	case schema.Date:
		b = binary.BigEndian.AppendUint64(b, uint64(int64(v))^(1<<63))
	case float64:
		bits := math.Float64bits(v)
		if v >= 0 {
			bits ^= 1 << 63
		} else {
			bits = ^bits
		}
		b = binary.BigEndian.AppendUint64(b, bits)
	case nil:
		return "", fmt.Errorf("the sequence value is null")
	default:
		return "", fmt.Errorf("sequence value %v of type %T cannot order changes (use a string, integer, date or timestamp column)", v, v)
	}
	if op == "r" {
		return string(append(b, rankRead)), nil
	}
	return string(append(b, rankStream)), nil
}

// sequenceTypeOK says whether a column of type t can be sequence_by.
func sequenceTypeOK(t schema.Type) bool {
	switch t {
	case schema.String, schema.Long, schema.Integer, schema.Timestamp, schema.DateType, schema.Double:
		return true
	}
	return false
}

// packBinlogPos packs a MySQL _source_pos ("%010d:%020d:%06d", 38 bytes) into 21 bytes that
// sort the same way: a marker, then file, pos and row big-endian. The key index holds one
// order per key, so this halves its largest part. Other strings keep their own encoding; the
// marker (0x01) sorts before any digit, and one table's positions all have one form.
func packBinlogPos(dst []byte, s string) ([]byte, bool) {
	if len(s) != 38 || s[10] != ':' || s[31] != ':' {
		return dst, false
	}
	file, ok1 := digits(s[:10])
	row, ok3 := digits(s[32:])
	if !ok1 || !ok3 || !allDigits(s[11:31]) {
		return dst, false
	}
	pos, err := strconv.ParseUint(s[11:31], 10, 64)
	if err != nil {
		return dst, false // a pos beyond 2^64 (never from MySQL) keeps the text form
	}
	dst = append(dst, 1)
	dst = binary.BigEndian.AppendUint64(dst, file)
	dst = binary.BigEndian.AppendUint64(dst, pos)
	return binary.BigEndian.AppendUint32(dst, uint32(row)), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
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
