package enrich

import (
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// rowValue renders a looked-up value for the JSON row the way debezium_unwrap renders the
// same column types, so the delta_lake output types it alike: decimals as exact strings,
// timestamps with microseconds and Z, dates as YYYY-MM-DD.
func rowValue(v any, date bool) any {
	switch x := v.(type) {
	case schema.Decimal:
		return x.String()
	case time.Time:
		if date {
			return x.UTC().Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case []byte:
		return x
	}
	return v
}
