package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Protocol is the protocol action: the reader/writer versions and table features a client
// must implement.
type Protocol struct {
	MinReaderVersion int      `json:"minReaderVersion"`
	MinWriterVersion int      `json:"minWriterVersion"`
	ReaderFeatures   []string `json:"readerFeatures,omitempty"`
	WriterFeatures   []string `json:"writerFeatures,omitempty"`
}

// Format is metaData.format.
type Format struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

// Metadata is the metaData action. SchemaString holds the table schema as JSON; parse it with
// Snapshot.Schema.
type Metadata struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
	Description      string            `json:"description,omitempty"`
	Format           Format            `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	CreatedTime      *int64            `json:"createdTime,omitempty"`
}

// DeletionVector is the descriptor of a file's deletion vector.
type DeletionVector struct {
	StorageType    string `json:"storageType"`
	PathOrInlineDv string `json:"pathOrInlineDv"`
	Offset         *int32 `json:"offset,omitempty"`
	SizeInBytes    int32  `json:"sizeInBytes"`
	Cardinality    int64  `json:"cardinality"`
	MaxRowIndex    *int64 `json:"maxRowIndex,omitempty"`
}

// UniqueID is the DV's identity in the (path, dvId) file key: storageType + pathOrInlineDv
// (+ "@offset").
func (dv *DeletionVector) UniqueID() string {
	if dv == nil {
		return ""
	}
	id := dv.StorageType + dv.PathOrInlineDv
	if dv.Offset != nil {
		id += fmt.Sprintf("@%d", *dv.Offset)
	}
	return id
}

// Add is the add action: a data file that is part of the table. Path is as stored in the log
// (a URI-encoded path relative to the table root); PartitionValues holds nil for null.
type Add struct {
	Path                    string             `json:"path"`
	PartitionValues         map[string]*string `json:"partitionValues"`
	Size                    int64              `json:"size"`
	ModificationTime        int64              `json:"modificationTime"`
	DataChange              bool               `json:"dataChange"`
	Stats                   string             `json:"stats,omitempty"`
	Tags                    map[string]string  `json:"tags,omitempty"`
	DeletionVector          *DeletionVector    `json:"deletionVector,omitempty"`
	BaseRowID               *int64             `json:"baseRowId,omitempty"`
	DefaultRowCommitVersion *int64             `json:"defaultRowCommitVersion,omitempty"`
	ClusteringProvider      string             `json:"clusteringProvider,omitempty"`
}

// NumRecords returns stats.numRecords, and false when the file carries no such statistic.
func (a *Add) NumRecords() (int64, bool) {
	if a.Stats == "" {
		return 0, false
	}
	var s struct {
		NumRecords *int64 `json:"numRecords"`
	}
	if json.Unmarshal([]byte(a.Stats), &s) != nil || s.NumRecords == nil {
		return 0, false
	}
	return *s.NumRecords, true
}

// Remove is the remove action: a tombstone for a file that left the table.
type Remove struct {
	Path                    string             `json:"path"`
	DeletionTimestamp       *int64             `json:"deletionTimestamp,omitempty"`
	DataChange              bool               `json:"dataChange"`
	ExtendedFileMetadata    *bool              `json:"extendedFileMetadata,omitempty"`
	PartitionValues         map[string]*string `json:"partitionValues,omitempty"`
	Size                    *int64             `json:"size,omitempty"`
	Stats                   string             `json:"stats,omitempty"`
	Tags                    map[string]string  `json:"tags,omitempty"`
	DeletionVector          *DeletionVector    `json:"deletionVector,omitempty"`
	BaseRowID               *int64             `json:"baseRowId,omitempty"`
	DefaultRowCommitVersion *int64             `json:"defaultRowCommitVersion,omitempty"`
}

// Txn is the txn action (set transaction): the last version an application committed, the
// basis of exactly-once writes.
type Txn struct {
	AppID       string `json:"appId"`
	Version     int64  `json:"version"`
	LastUpdated *int64 `json:"lastUpdated,omitempty"`
}

// DomainMetadata is the domainMetadata action.
type DomainMetadata struct {
	Domain        string `json:"domain"`
	Configuration string `json:"configuration"`
	Removed       bool   `json:"removed"`
}

// CommitInfo is the free-form commitInfo action (operation, timestamp, our pipeline fields...).
type CommitInfo map[string]any

// Action is one line of a commit: exactly one of its fields is set for a known action; all
// are nil for an action this library does not know (PROTOCOL.md: ignore unknown actions).
type Action struct {
	Add                *Add            `json:"add,omitempty"`
	Remove             *Remove         `json:"remove,omitempty"`
	MetaData           *Metadata       `json:"metaData,omitempty"`
	Protocol           *Protocol       `json:"protocol,omitempty"`
	Txn                *Txn            `json:"txn,omitempty"`
	CommitInfo         CommitInfo      `json:"commitInfo,omitempty"`
	CDC                json.RawMessage `json:"cdc,omitempty"`
	DomainMetadata     *DomainMetadata `json:"domainMetadata,omitempty"`
	CheckpointMetadata json.RawMessage `json:"checkpointMetadata,omitempty"`
	Sidecar            json.RawMessage `json:"sidecar,omitempty"`
}

// ParseCommit decodes a commit file: newline-delimited JSON, one action per line. Blank lines,
// unknown fields and unknown actions are ignored; a line that is not a JSON object, or whose
// known action has the wrong shape, fails naming the line.
func ParseCommit(data []byte) ([]Action, error) {
	var out []Action
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		var a Action
		if err := json.Unmarshal(l, &a); err != nil {
			return nil, fmt.Errorf("delta: commit line %d: %w (line starts %q)", line, err, truncate(string(l), 60))
		}
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("delta: commit line %d: %w", line, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (a *Action) validate() error {
	switch {
	case a.Add != nil && a.Add.Path == "":
		return fmt.Errorf("add action without path")
	case a.Remove != nil && a.Remove.Path == "":
		return fmt.Errorf("remove action without path")
	case a.Txn != nil && a.Txn.AppID == "":
		return fmt.Errorf("txn action without appId")
	}
	return nil
}

// EncodeCommit renders actions as a commit file (one JSON object per line).
func EncodeCommit(actions []Action) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range actions {
		if err := enc.Encode(&actions[i]); err != nil {
			return nil, fmt.Errorf("delta: encode action %d: %w", i, err)
		}
	}
	return buf.Bytes(), nil
}

// DecodePath turns an add/remove path from the log (a URI reference) into the storage path
// relative to the table root. It decodes exactly once, as PROTOCOL.md requires.
func DecodePath(p string) (string, error) {
	if strings.Contains(p, "://") || strings.HasPrefix(p, "file:") {
		return "", fmt.Errorf("delta: absolute file path %q is not supported (only paths relative to the table root)", p)
	}
	d, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("delta: file path %q is not a valid URI-encoded path: %w", p, err)
	}
	return d, nil
}

// EncodePath URI-encodes a storage path for add.path the way Spark (java.net.URI) does:
// ASCII letters, digits and -_.!~*'();:@&=+$,/ stay, non-ASCII characters stay raw, and
// everything else becomes %XX.
func EncodePath(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-_.!~*'();:@&=+$,/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
