package delta

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// CreateOptions describes a new table.
type CreateOptions struct {
	Name, Description string
	// PartitionColumns must name top-level primitive columns of the schema.
	PartitionColumns []string
	// Configuration holds table properties (delta.appendOnly, delta.checkpointInterval...).
	Configuration map[string]string
	// CommitInfo adds free-form fields to version 0's commitInfo.
	CommitInfo map[string]any
}

// ErrTableExists is returned (wrapped) by Create when version 0 already exists.
var ErrTableExists = errors.New("delta: table already exists")

// Create writes version 0 of a new table: protocol reader 1 / writer 2, metaData with a fresh
// GUID, the schema and partition columns, and a commitInfo. It fails with ErrTableExists when
// another writer created the table first; the caller then loads it with Snapshot and checks
// its schema.
func (t *Table) Create(ctx context.Context, s *schema.StructType, opts CreateOptions) (*Snapshot, error) {
	if s == nil || len(s.Fields) == 0 {
		return nil, errors.New("delta: create: schema has no columns")
	}
	for _, pc := range opts.PartitionColumns {
		f := s.Field(pc)
		if f == nil || f.Name != pc {
			return nil, fmt.Errorf("delta: create: partition column %q is not a column of the schema", pc)
		}
		if _, ok := f.Type.(schema.PrimitiveType); !ok {
			if _, dec := f.Type.(schema.DecimalType); !dec {
				return nil, fmt.Errorf("delta: create: partition column %q has type %s, expected a primitive type", pc, f.Type)
			}
		}
	}
	now := t.opts.Now().UnixMilli()
	md := &Metadata{
		ID: uuid.NewString(), Name: opts.Name, Description: opts.Description,
		Format:       Format{Provider: "parquet", Options: map[string]string{}},
		SchemaString: s.JSON(), PartitionColumns: orEmptySlice(opts.PartitionColumns),
		Configuration: orEmpty(opts.Configuration), CreatedTime: &now,
	}
	p := &Protocol{MinReaderVersion: 1, MinWriterVersion: 2}
	if err := CheckWritable(p, md); err != nil {
		return nil, err
	}
	ci := CommitInfo{"timestamp": now, "operation": "CREATE TABLE", "engineInfo": engineInfo,
		"operationParameters": map[string]any{"partitionBy": orEmptySlice(opts.PartitionColumns)}}
	for k, v := range opts.CommitInfo {
		ci[k] = v
	}
	data, err := EncodeCommit([]Action{{CommitInfo: ci}, {Protocol: p}, {MetaData: md}})
	if err != nil {
		return nil, err
	}
	if err := t.store.PutIfAbsent(ctx, commitPath(0), data); err != nil {
		if errors.Is(err, ErrExist) {
			return nil, fmt.Errorf("%w: %v", ErrTableExists, err)
		}
		return nil, err
	}
	snap := newSnapshot(t)
	snap.version, snap.protocol, snap.metadata = 0, p, md
	snap.infos[0] = ci
	return snap, nil
}

const engineInfo = "ledgerflow-delta"
