package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// Checkpoint rows: the classic V1 checkpoint schema (one top-level column per action type,
// exactly one non-null per row), as Spark writes it.
type ckptRow struct {
	Txn      *ckptTxn      `parquet:"txn,optional"`
	Add      *ckptAdd      `parquet:"add,optional"`
	Remove   *ckptRemove   `parquet:"remove,optional"`
	MetaData *ckptMetadata `parquet:"metaData,optional"`
	Protocol *ckptProtocol `parquet:"protocol,optional"`
}

type ckptTxn struct {
	AppID       *string `parquet:"appId,optional"`
	Version     *int64  `parquet:"version,optional"`
	LastUpdated *int64  `parquet:"lastUpdated,optional"`
}

type ckptDV struct {
	StorageType    *string `parquet:"storageType,optional"`
	PathOrInlineDv *string `parquet:"pathOrInlineDv,optional"`
	Offset         *int32  `parquet:"offset,optional"`
	SizeInBytes    *int32  `parquet:"sizeInBytes,optional"`
	Cardinality    *int64  `parquet:"cardinality,optional"`
	MaxRowIndex    *int64  `parquet:"maxRowIndex,optional"`
}

type ckptAdd struct {
	Path                    *string            `parquet:"path,optional"`
	PartitionValues         map[string]*string `parquet:"partitionValues,optional"`
	Size                    *int64             `parquet:"size,optional"`
	ModificationTime        *int64             `parquet:"modificationTime,optional"`
	DataChange              *bool              `parquet:"dataChange,optional"`
	Stats                   *string            `parquet:"stats,optional"`
	Tags                    map[string]*string `parquet:"tags,optional"`
	DeletionVector          *ckptDV            `parquet:"deletionVector,optional"`
	BaseRowID               *int64             `parquet:"baseRowId,optional"`
	DefaultRowCommitVersion *int64             `parquet:"defaultRowCommitVersion,optional"`
}

type ckptRemove struct {
	Path                    *string            `parquet:"path,optional"`
	DeletionTimestamp       *int64             `parquet:"deletionTimestamp,optional"`
	DataChange              *bool              `parquet:"dataChange,optional"`
	ExtendedFileMetadata    *bool              `parquet:"extendedFileMetadata,optional"`
	PartitionValues         map[string]*string `parquet:"partitionValues,optional"`
	Size                    *int64             `parquet:"size,optional"`
	DeletionVector          *ckptDV            `parquet:"deletionVector,optional"`
	BaseRowID               *int64             `parquet:"baseRowId,optional"`
	DefaultRowCommitVersion *int64             `parquet:"defaultRowCommitVersion,optional"`
}

type ckptFormat struct {
	Provider *string            `parquet:"provider,optional"`
	Options  map[string]*string `parquet:"options,optional"`
}

type ckptMetadata struct {
	ID               *string            `parquet:"id,optional"`
	Name             *string            `parquet:"name,optional"`
	Description      *string            `parquet:"description,optional"`
	Format           *ckptFormat        `parquet:"format,optional"`
	SchemaString     *string            `parquet:"schemaString,optional"`
	PartitionColumns []string           `parquet:"partitionColumns,optional,list"`
	Configuration    map[string]*string `parquet:"configuration,optional"`
	CreatedTime      *int64             `parquet:"createdTime,optional"`
}

type ckptProtocol struct {
	MinReaderVersion *int32   `parquet:"minReaderVersion,optional"`
	MinWriterVersion *int32   `parquet:"minWriterVersion,optional"`
	ReaderFeatures   []string `parquet:"readerFeatures,optional,list"`
	WriterFeatures   []string `parquet:"writerFeatures,optional,list"`
}

func ptr[T any](v T) *T { return &v }

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func strMap(m map[string]string) map[string]*string {
	if m == nil {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = ptr(v)
	}
	return out
}

func ckptDVOf(dv *DeletionVector) *ckptDV {
	if dv == nil {
		return nil
	}
	return &ckptDV{ptr(dv.StorageType), ptr(dv.PathOrInlineDv), dv.Offset, ptr(dv.SizeInBytes), ptr(dv.Cardinality), dv.MaxRowIndex}
}

// checkpointRows renders a snapshot's state as checkpoint rows: protocol, metaData, txns, live
// adds (dataChange false, as Spark writes them) and the tombstones not yet expired at now.
func (s *Snapshot) checkpointRows(now time.Time) ([]ckptRow, int64) {
	p, md := s.protocol, s.metadata
	rows := []ckptRow{
		{Protocol: &ckptProtocol{ptr(int32(p.MinReaderVersion)), ptr(int32(p.MinWriterVersion)), p.ReaderFeatures, p.WriterFeatures}},
		{MetaData: &ckptMetadata{
			ID: ptr(md.ID), Name: optString(md.Name), Description: optString(md.Description),
			Format:       &ckptFormat{Provider: ptr(md.Format.Provider), Options: strMap(orEmpty(md.Format.Options))},
			SchemaString: ptr(md.SchemaString), PartitionColumns: orEmptySlice(md.PartitionColumns),
			Configuration: strMap(orEmpty(md.Configuration)), CreatedTime: md.CreatedTime,
		}},
	}
	apps := make([]string, 0, len(s.txns))
	for a := range s.txns {
		apps = append(apps, a)
	}
	sort.Strings(apps)
	for _, a := range apps {
		t := s.txns[a]
		rows = append(rows, ckptRow{Txn: &ckptTxn{ptr(t.AppID), ptr(t.Version), t.LastUpdated}})
	}
	files := s.Files()
	for _, a := range files {
		rows = append(rows, ckptRow{Add: &ckptAdd{
			Path: ptr(a.Path), PartitionValues: orEmptyPV(a.PartitionValues), Size: ptr(a.Size),
			ModificationTime: ptr(a.ModificationTime), DataChange: ptr(false), Stats: optString(a.Stats),
			Tags: strMap(a.Tags), DeletionVector: ckptDVOf(a.DeletionVector),
			BaseRowID: a.BaseRowID, DefaultRowCommitVersion: a.DefaultRowCommitVersion,
		}})
	}
	cutoff := now.Add(-tombstoneRetention(md)).UnixMilli()
	for _, r := range s.Tombstones() {
		if r.DeletionTimestamp != nil && *r.DeletionTimestamp < cutoff {
			continue
		}
		rows = append(rows, ckptRow{Remove: &ckptRemove{
			Path: ptr(r.Path), DeletionTimestamp: r.DeletionTimestamp, DataChange: ptr(false),
			ExtendedFileMetadata: r.ExtendedFileMetadata, PartitionValues: r.PartitionValues, Size: r.Size,
			DeletionVector: ckptDVOf(r.DeletionVector), BaseRowID: r.BaseRowID,
			DefaultRowCommitVersion: r.DefaultRowCommitVersion,
		}})
	}
	return rows, int64(len(files))
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptyPV(m map[string]*string) map[string]*string {
	if m == nil {
		return map[string]*string{}
	}
	return m
}

func orEmptySlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// tombstoneRetention is delta.deletedFileRetentionDuration (default one week).
func tombstoneRetention(md *Metadata) time.Duration {
	if d, ok := parseInterval(md.Configuration["delta.deletedFileRetentionDuration"]); ok {
		return d
	}
	return 7 * 24 * time.Hour
}

// parseInterval reads Spark's "interval <n> <unit>" table-property durations.
func parseInterval(s string) (time.Duration, bool) {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) == 3 && f[0] == "interval" {
		f = f[1:]
	}
	if len(f) != 2 {
		return 0, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	unit := map[string]time.Duration{
		"millisecond": time.Millisecond, "second": time.Second, "minute": time.Minute,
		"hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour,
	}[strings.TrimSuffix(f[1], "s")]
	if unit == 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// EncodeCheckpoint renders the snapshot as a classic V1 checkpoint Parquet file and returns
// it with the number of rows (actions) and of add files.
func (s *Snapshot) EncodeCheckpoint(now time.Time) (data []byte, size, numAdds int64, err error) {
	rows, numAdds := s.checkpointRows(now)
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[ckptRow](&buf, parquet.Compression(&snappy.Codec{}))
	if _, err := w.Write(rows); err != nil {
		return nil, 0, 0, fmt.Errorf("delta: encode checkpoint: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, 0, 0, fmt.Errorf("delta: encode checkpoint: %w", err)
	}
	return buf.Bytes(), int64(len(rows)), numAdds, nil
}

// WriteCheckpoint writes a classic checkpoint of s at s.Version() and then overwrites
// _last_checkpoint. The commit of that version must already exist. A failure leaves the table
// readable (a checkpoint is only an optimisation), so callers log it and carry on.
func (s *Snapshot) WriteCheckpoint(ctx context.Context) error {
	data, size, adds, err := s.EncodeCheckpoint(s.table.opts.Now())
	if err != nil {
		return err
	}
	if err := s.table.store.Put(ctx, checkpointPath(s.version), data); err != nil {
		return err
	}
	lc, err := json.Marshal(LastCheckpoint{Version: s.version, Size: size, SizeInBytes: ptr(int64(len(data))), NumOfAddFiles: &adds})
	if err != nil {
		return err
	}
	return s.table.store.Put(ctx, lastCheckpointPath, lc)
}

// checkpointInterval is delta.checkpointInterval, or the table option.
func (s *Snapshot) checkpointInterval() int64 {
	if v, err := strconv.ParseInt(s.metadata.Configuration["delta.checkpointInterval"], 10, 64); err == nil && v > 0 {
		return v
	}
	return s.table.opts.CheckpointInterval
}
