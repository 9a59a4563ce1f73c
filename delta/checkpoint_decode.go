package delta

import "fmt"

// Direct conversion of rows reconstructed by parquet-go (map[string]any trees) into actions,
// avoiding a JSON round trip. Type mismatches fail naming the field.

type rowMap map[string]any

func (m rowMap) str(k string) (string, error) {
	switch v := m[k].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case *[]byte:
		if v == nil {
			return "", nil
		}
		return string(*v), nil
	}
	return "", fmt.Errorf("field %s: %T, expected a string", k, m[k])
}

func (m rowMap) i64(k string) (*int64, error) {
	switch v := m[k].(type) {
	case nil:
		return nil, nil
	case int64:
		return &v, nil
	case int32:
		return ptr(int64(v)), nil
	}
	return nil, fmt.Errorf("field %s: %T, expected an integer", k, m[k])
}

func (m rowMap) i64v(k string) (int64, error) {
	p, err := m.i64(k)
	if p == nil || err != nil {
		return 0, err
	}
	return *p, nil
}

func (m rowMap) boolean(k string) (*bool, error) {
	switch v := m[k].(type) {
	case nil:
		return nil, nil
	case bool:
		return &v, nil
	}
	return nil, fmt.Errorf("field %s: %T, expected a boolean", k, m[k])
}

func (m rowMap) sub(k string) (rowMap, error) {
	switch v := m[k].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	}
	return nil, fmt.Errorf("field %s: %T, expected a struct", k, m[k])
}

func (m rowMap) strMap(k string) (map[string]*string, error) {
	switch v := m[k].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		out := make(map[string]*string, len(v))
		for key, e := range v {
			s, err := rowMap{"v": e}.str("v")
			if err != nil {
				return nil, fmt.Errorf("field %s[%q]: %w", k, key, err)
			}
			if e == nil || isNilBytes(e) {
				out[key] = nil
			} else {
				out[key] = &s
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("field %s: %T, expected a map", k, m[k])
}

func isNilBytes(v any) bool {
	p, ok := v.(*[]byte)
	return ok && p == nil
}

func (m rowMap) plainMap(k string) (map[string]string, error) {
	pm, err := m.strMap(k)
	if pm == nil || err != nil {
		return nil, err
	}
	out := make(map[string]string, len(pm))
	for key, v := range pm {
		if v != nil {
			out[key] = *v
		}
	}
	return out, nil
}

func (m rowMap) strList(k string) ([]string, error) {
	switch v := m[k].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			s, err := rowMap{"v": e}.str("v")
			if err != nil {
				return nil, fmt.Errorf("field %s[%d]: %w", k, i, err)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("field %s: %T, expected a list", k, m[k])
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func decodeDV(m rowMap) (*DeletionVector, error) {
	if m == nil {
		return nil, nil
	}
	dv := &DeletionVector{}
	var e [6]error
	dv.StorageType, e[0] = m.str("storageType")
	dv.PathOrInlineDv, e[1] = m.str("pathOrInlineDv")
	off, e2 := m.i64("offset")
	if off != nil {
		dv.Offset = ptr(int32(*off))
	}
	e[2] = e2
	size, e3 := m.i64v("sizeInBytes")
	dv.SizeInBytes, e[3] = int32(size), e3
	dv.Cardinality, e[4] = m.i64v("cardinality")
	dv.MaxRowIndex, e[5] = m.i64("maxRowIndex")
	return dv, firstErr(e[:]...)
}

// decodeCheckpointRow turns one checkpoint row into an action.
func decodeCheckpointRow(row rowMap) (Action, error) {
	var a Action
	if m, err := row.sub("add"); err != nil || m != nil {
		if err != nil {
			return a, err
		}
		x := &Add{}
		var e [9]error
		x.Path, e[0] = m.str("path")
		x.PartitionValues, e[1] = m.strMap("partitionValues")
		x.Size, e[2] = m.i64v("size")
		x.ModificationTime, e[3] = m.i64v("modificationTime")
		dc, e4 := m.boolean("dataChange")
		x.DataChange, e[4] = dc != nil && *dc, e4
		x.Stats, e[5] = m.str("stats")
		x.Tags, e[6] = m.plainMap("tags")
		dvm, e7 := m.sub("deletionVector")
		if e7 == nil {
			x.DeletionVector, e7 = decodeDV(dvm)
		}
		e[7] = e7
		x.BaseRowID, e[8] = m.i64("baseRowId")
		if x.DefaultRowCommitVersion, e7 = m.i64("defaultRowCommitVersion"); e7 != nil {
			e[7] = e7
		}
		a.Add = x
		return a, wrapField("add", firstErr(e[:]...))
	}
	if m, err := row.sub("remove"); err != nil || m != nil {
		if err != nil {
			return a, err
		}
		x := &Remove{}
		var e [8]error
		x.Path, e[0] = m.str("path")
		x.DeletionTimestamp, e[1] = m.i64("deletionTimestamp")
		dc, e2 := m.boolean("dataChange")
		x.DataChange, e[2] = dc != nil && *dc, e2
		x.ExtendedFileMetadata, e[3] = m.boolean("extendedFileMetadata")
		x.PartitionValues, e[4] = m.strMap("partitionValues")
		x.Size, e[5] = m.i64("size")
		dvm, e6 := m.sub("deletionVector")
		if e6 == nil {
			x.DeletionVector, e6 = decodeDV(dvm)
		}
		e[6] = e6
		x.BaseRowID, e[7] = m.i64("baseRowId")
		a.Remove = x
		return a, wrapField("remove", firstErr(e[:]...))
	}
	if m, err := row.sub("metaData"); err != nil || m != nil {
		if err != nil {
			return a, err
		}
		x := &Metadata{}
		var e [9]error
		x.ID, e[0] = m.str("id")
		x.Name, e[1] = m.str("name")
		x.Description, e[2] = m.str("description")
		f, e3 := m.sub("format")
		if f != nil {
			x.Format.Provider, e3 = f.str("provider")
			if e3 == nil {
				x.Format.Options, e3 = f.plainMap("options")
			}
		}
		e[3] = e3
		x.SchemaString, e[4] = m.str("schemaString")
		x.PartitionColumns, e[5] = m.strList("partitionColumns")
		x.Configuration, e[6] = m.plainMap("configuration")
		x.CreatedTime, e[7] = m.i64("createdTime")
		a.MetaData = x
		return a, wrapField("metaData", firstErr(e[:]...))
	}
	if m, err := row.sub("protocol"); err != nil || m != nil {
		if err != nil {
			return a, err
		}
		x := &Protocol{}
		var e [4]error
		var r, w int64
		r, e[0] = m.i64v("minReaderVersion")
		w, e[1] = m.i64v("minWriterVersion")
		x.MinReaderVersion, x.MinWriterVersion = int(r), int(w)
		x.ReaderFeatures, e[2] = m.strList("readerFeatures")
		x.WriterFeatures, e[3] = m.strList("writerFeatures")
		a.Protocol = x
		return a, wrapField("protocol", firstErr(e[:]...))
	}
	if m, err := row.sub("txn"); err != nil || m != nil {
		if err != nil {
			return a, err
		}
		x := &Txn{}
		var e [3]error
		x.AppID, e[0] = m.str("appId")
		x.Version, e[1] = m.i64v("version")
		x.LastUpdated, e[2] = m.i64("lastUpdated")
		a.Txn = x
		return a, wrapField("txn", firstErr(e[:]...))
	}
	if m, err := row.sub("domainMetadata"); err != nil || m != nil {
		if err != nil {
			return a, err
		}
		x := &DomainMetadata{}
		var e [3]error
		x.Domain, e[0] = m.str("domain")
		x.Configuration, e[1] = m.str("configuration")
		rm, e2 := m.boolean("removed")
		x.Removed, e[2] = rm != nil && *rm, e2
		a.DomainMetadata = x
		return a, wrapField("domainMetadata", firstErr(e[:]...))
	}
	if row["checkpointMetadata"] != nil {
		a.CheckpointMetadata = []byte("{}")
	}
	if row["sidecar"] != nil {
		a.Sidecar = []byte("{}")
	}
	return a, nil
}

func wrapField(action string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", action, err)
}
