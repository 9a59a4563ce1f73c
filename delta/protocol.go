package delta

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// ErrUnsupportedFeature is wrapped by every refusal of the feature gate; the message names
// the feature.
var ErrUnsupportedFeature = errors.New("unsupported Delta table feature")

// readerFeatures are the reader features ledgerflow implements. timestampNtz values are
// decoded by parquetio; vacuumProtocolCheck only constrains VACUUM, which we never run.
var readerFeatures = map[string]bool{
	"timestampNtz":        true,
	"vacuumProtocolCheck": true,
}

// writerFeatures are the writer features ledgerflow honours when writing: appendOnly is
// enforced on commit; the others need nothing from an append/overwrite writer.
var writerFeatures = map[string]bool{
	"appendOnly":          true,
	"vacuumProtocolCheck": true,
}

// legacyWriterImplies is what a legacy writer version obliges a writer to enforce.
var legacyWriterImplies = map[int][]string{
	3: {"checkConstraints"},
	4: {"checkConstraints", "changeDataFeed", "generatedColumns"},
	5: {"checkConstraints", "changeDataFeed", "generatedColumns", "columnMapping"},
	6: {"checkConstraints", "changeDataFeed", "generatedColumns", "columnMapping", "identityColumns"},
}

func refuse(kind, feature, detail string) error {
	msg := fmt.Sprintf("delta: table needs %s feature %q, which ledgerflow does not support", kind, feature)
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return fmt.Errorf("%s: %w", msg, ErrUnsupportedFeature)
}

// CheckReadable fails when reading a table with protocol p needs something ledgerflow does
// not implement: reader version 2 (column mapping), a reader version above 3, or a reader
// feature outside the allow-list (deletionVectors, columnMapping, v2Checkpoint,
// typeWidening...). The error names the feature and wraps ErrUnsupportedFeature.
func CheckReadable(p *Protocol) error {
	if p == nil {
		return errors.New("delta: table has no protocol action")
	}
	switch v := p.MinReaderVersion; {
	case v <= 1:
		return nil
	case v == 2:
		return refuse("reader", "columnMapping", "minReaderVersion 2")
	case v == 3:
		feats := append([]string(nil), p.ReaderFeatures...)
		sort.Strings(feats)
		for _, f := range feats {
			if !readerFeatures[f] {
				return refuse("reader", f, "")
			}
		}
		return nil
	default:
		return fmt.Errorf("delta: table needs reader version %d, ledgerflow reads versions 1 to 3: %w", v, ErrUnsupportedFeature)
	}
}

// CheckWritable fails when writing to a table with this protocol and metadata would break a
// rule ledgerflow cannot enforce. Writers must implement every reader feature too, so it
// first applies CheckReadable. Accepted: writer versions 1–2 (appendOnly honoured; column
// invariants refused) and writer 7 whose features are all in the allow-list. Refused by name:
// legacy writer 3–6 obligations, invariants, CHECK constraints, generated, identity and
// default columns, change data feed, column mapping, deletion vectors, unknown features.
func CheckWritable(p *Protocol, md *Metadata) error {
	if err := CheckReadable(p); err != nil {
		return err
	}
	switch v := p.MinWriterVersion; {
	case v <= 2:
	case v <= 6:
		implied := legacyWriterImplies[v]
		return refuse("writer", implied[len(implied)-1], fmt.Sprintf("minWriterVersion %d also implies %s", v, strings.Join(implied, ", ")))
	case v == 7:
		feats := append([]string(nil), p.WriterFeatures...)
		sort.Strings(feats)
		for _, f := range feats {
			if !writerFeatures[f] {
				return refuse("writer", f, "")
			}
		}
	default:
		return fmt.Errorf("delta: table needs writer version %d, ledgerflow writes versions up to 7: %w", v, ErrUnsupportedFeature)
	}
	if md == nil {
		return nil
	}
	keys := make([]string, 0, len(md.Configuration))
	for k := range md.Configuration {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "delta.constraints.") {
			return refuse("writer", "checkConstraints", "table property "+k)
		}
	}
	if md.SchemaString == "" {
		return nil
	}
	st, err := schema.Parse(md.SchemaString)
	if err != nil {
		return err
	}
	return checkColumnMetadata(st, "")
}

// checkColumnMetadata refuses columns whose metadata asks the writer to evaluate SQL.
func checkColumnMetadata(t schema.Type, prefix string) error {
	switch x := t.(type) {
	case *schema.StructType:
		for _, f := range x.Fields {
			name := prefix + f.Name
			for k := range f.Metadata {
				switch {
				case k == "delta.invariants":
					return refuse("writer", "invariants", "column "+name)
				case k == "delta.generationExpression":
					return refuse("writer", "generatedColumns", "column "+name)
				case strings.HasPrefix(k, "delta.identity."):
					return refuse("writer", "identityColumns", "column "+name)
				case k == "CURRENT_DEFAULT":
					return refuse("writer", "allowColumnDefaults", "column "+name)
				case strings.HasPrefix(k, "delta.columnMapping."):
					return refuse("writer", "columnMapping", "column "+name)
				}
			}
			if err := checkColumnMetadata(f.Type, name+"."); err != nil {
				return err
			}
		}
	case *schema.ArrayType:
		return checkColumnMetadata(x.ElementType, prefix)
	case *schema.MapType:
		if err := checkColumnMetadata(x.KeyType, prefix); err != nil {
			return err
		}
		return checkColumnMetadata(x.ValueType, prefix)
	}
	return nil
}

// isAppendOnly reports whether delta.appendOnly is set on the table.
func isAppendOnly(md *Metadata) bool {
	return md != nil && strings.EqualFold(md.Configuration["delta.appendOnly"], "true")
}
