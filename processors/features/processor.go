// Package features is the `features` Benthos processor: a thin adapter over the event-time
// features engine (engine/features). It parses rows, submits them to the engine, waits
// for the watermark, and writes the values into the ledgerflow_env metadata (and, when
// asked, row members) for fraud_rules and the transaction_features table.
package features

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	engine "github.com/ledgerflow/ledgerflow/engine/features"
	"github.com/ledgerflow/ledgerflow/schemas"
)

func init() {
	service.MustRegisterBatchProcessor("features", processorSpec(), newProcessor)
}

type processor struct {
	e         *engine.Engine
	d         *engine.Decl
	log       *service.Logger
	rowFields bool
	m         *metrics
	stop      chan struct{}
	stopped   sync.WaitGroup
	closeOnce sync.Once
}

func newProcessor(conf *service.ParsedConfig, res *service.Resources) (service.BatchProcessor, error) {
	declPath, err := conf.FieldString(fDeclaration)
	if err != nil {
		return nil, err
	}
	schemaFile, err := conf.FieldString(fSchemaFile)
	if err != nil {
		return nil, err
	}
	tx, err := schemas.Load(schemaFile)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	objects, err := objectsField(conf)
	if err != nil {
		return nil, err
	}
	d, err := engine.Load(declPath, tx, objects)
	if err != nil {
		return nil, err
	}
	opt := engine.Options{}
	mode, err := conf.FieldString(fMode)
	if err != nil {
		return nil, err
	}
	if mode == "on_arrival" {
		opt.Mode = engine.OnArrival
	}
	wm := d.Watermark
	if s, _ := conf.FieldString(fMaxDelay); s != "" {
		if wm.MaxDelay, err = conf.FieldDuration(fMaxDelay); err != nil {
			return nil, err
		}
	}
	opt.Watermark = &wm
	if opt.ExpectedSources, err = conf.FieldInt(fPartitions); err != nil {
		return nil, err
	}
	if opt.CorrectionHorizon, err = conf.FieldDuration(fCorrectionHorizon); err != nil {
		return nil, err
	}
	if opt.MaxEntriesPerKey, err = conf.FieldInt(fMaxEntriesPerKey); err != nil {
		return nil, err
	}
	if opt.MaxDistinct, err = conf.FieldInt(fMaxDistinct); err != nil {
		return nil, err
	}
	tick, err := conf.FieldDuration(fTick)
	if err != nil {
		return nil, err
	}
	if tick <= 0 {
		return nil, fmt.Errorf("features: tick must be positive, got %v", tick)
	}
	p := &processor{e: engine.New(d, opt), d: d, log: res.Logger(), m: newMetrics(res.Metrics()), stop: make(chan struct{})}
	if p.rowFields, err = conf.FieldBool(fRowFields); err != nil {
		return nil, err
	}
	if conf.Contains(fRestore) {
		bronze, err := conf.FieldString(fRestore, fRestoreBronze)
		if err != nil {
			return nil, err
		}
		committed, err := conf.FieldString(fRestore, fRestoreCommitted)
		if err != nil {
			return nil, err
		}
		if committed == "" {
			committed = bronze
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		cut, err := engine.CutFromTxns(ctx, committed)
		if err != nil {
			return nil, err
		}
		st, err := engine.RestoreFromBronze(ctx, p.e, bronze, cut, time.Now())
		if err != nil {
			return nil, err
		}
		p.log.Infof("features: restored %d versions from %s (%d files read, %d skipped by event time, %d records above the committed cut) in %v",
			st.Restored, bronze, st.Files, st.FilesSkipped, st.AboveCut, st.Elapsed.Round(time.Millisecond))
	}
	p.stopped.Add(1)
	go p.ticker(tick)
	return p, nil
}

// objectsField reads objects: {object: {field: SQL type}}.
func objectsField(conf *service.ParsedConfig) (map[string]map[string]string, error) {
	if !conf.Contains(fObjects) {
		return nil, nil
	}
	raw, err := conf.FieldAny(fObjects)
	if err != nil {
		return nil, err
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("features: objects must be a mapping object -> field -> SQL type, got %T", raw)
	}
	out := map[string]map[string]string{}
	for obj, fields := range top {
		fm, ok := fields.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("features: objects.%s must be a mapping field -> SQL type, got %T", obj, fields)
		}
		out[obj] = map[string]string{}
		for f, t := range fm {
			s, ok := t.(string)
			if !ok {
				return nil, fmt.Errorf("features: objects.%s.%s must be an SQL type string, got %T", obj, f, t)
			}
			out[obj][f] = s
		}
	}
	return out, nil
}

func (p *processor) ticker(every time.Duration) {
	defer p.stopped.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.e.Tick(now)
			p.m.update(p.e)
		}
	}
}

// ProcessBatch registers the batch's rows, waits until each is scored, and returns the
// batch with the values added plus the corrections its rows caused.
func (p *processor) ProcessBatch(ctx context.Context, batch service.MessageBatch) ([]service.MessageBatch, error) {
	versions := make([]engine.Version, 0, len(batch))
	index := make([]int, 0, len(batch)) // version -> message
	for i, msg := range batch {
		if msg.GetError() != nil {
			continue // an unwrap failure: the dead-letter path handles it
		}
		if kind, ok := msg.MetaGet("debezium_kind"); ok && kind != "row" {
			continue // tombstones, heartbeats, schema changes pass through
		}
		row, err := msg.AsBytes()
		if err != nil || len(row) == 0 {
			continue
		}
		v, err := p.d.Version(row, envOf(msg))
		if err != nil {
			reason := "invalid_row"
			var re *engine.RowError
			if errors.As(err, &re) {
				reason = re.Reason
			}
			msg.SetError(fmt.Errorf("features: %w", err))
			msg.MetaSetMut(MetaErrorReason, reason)
			p.m.errors.Incr(1, reason)
			continue
		}
		// The Kafka coordinates of the record, as the kafka input stamps them, name the
		// watermark source even when the row lacks the _kafka_* members.
		if topic, ok := msg.MetaGet("kafka_topic"); ok {
			if part, ok := msg.MetaGet("kafka_partition"); ok {
				v.Source = topic + "/" + part
			}
		}
		versions = append(versions, v)
		index = append(index, i)
	}
	if len(versions) == 0 {
		return []service.MessageBatch{batch}, nil
	}
	tickets, corrs := p.e.Submit(time.Now(), versions)
	for _, t := range tickets {
		select {
		case <-t.Done():
		case <-ctx.Done():
			p.e.Resolve(t) // shutting down: score with what is known, never drop
		}
	}
	out := batch
	for vi, t := range tickets {
		msg := batch[index[vi]]
		res := t.Result()
		p.annotate(msg, res, "scored")
		if p.rowFields {
			row, _ := msg.AsBytes()
			msg.SetBytes(appendMembers(row, p.d, res, false))
		}
	}
	for _, c := range corrs {
		src := batch[index[c.Trigger]]
		cm := src.Copy()
		cm.SetError(nil)
		// The copy carries the causing row's values; the corrected transaction's own
		// enrichment is not known here, so its env holds only its feature values.
		cm.MetaDelete(MetaEnv)
		cm.SetBytes(correctionRow(p.d, c))
		p.annotate(cm, c.Result, "correction")
		out = append(out, cm)
	}
	p.m.update(p.e)
	return []service.MessageBatch{out}, nil
}

func (p *processor) annotate(msg *service.Message, res engine.Result, kind string) {
	msg.MetaSetMut(MetaEnv, mergeEnv(envOf(msg), p.d, res))
	msg.MetaSetMut(MetaKind, kind)
	msg.MetaSetMut(MetaProvisional, strconv.FormatBool(res.Provisional))
	msg.MetaSetMut(MetaCapped, strconv.FormatBool(res.Capped))
	msg.MetaSetMut(MetaWatermark, time.UnixMicro(res.Watermark).UTC().Format(time.RFC3339Nano))
	msg.MetaSetMut(MetaSeq, int64(res.Seq))
}

// envOf returns the ledgerflow_env an earlier processor put on msg, or nil.
func envOf(msg *service.Message) map[string]map[string]any {
	v, ok := msg.MetaGetMut(MetaEnv)
	if !ok {
		return nil
	}
	switch m := v.(type) {
	case map[string]map[string]any:
		return m
	case map[string]any:
		out := make(map[string]map[string]any, len(m))
		for k, o := range m {
			if om, ok := o.(map[string]any); ok {
				out[k] = om
			}
		}
		return out
	}
	return nil
}

// mergeEnv returns a new env map (the old one may be shared with copies of the message)
// with the feature values added.
func mergeEnv(old map[string]map[string]any, d *engine.Decl, res engine.Result) map[string]map[string]any {
	env := make(map[string]map[string]any, len(old)+len(d.Keys))
	for obj, fields := range old {
		m := make(map[string]any, len(fields)+8)
		for k, v := range fields {
			m[k] = v
		}
		env[obj] = m
	}
	for i, f := range d.Fields {
		if res.Values[i] == nil && !d.Present(res, f.Object) {
			continue
		}
		m := env[f.Object]
		if m == nil {
			m = make(map[string]any, 16)
			env[f.Object] = m
		}
		m[f.Name] = res.Values[i]
	}
	return env
}

func (p *processor) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { close(p.stop) })
	p.stopped.Wait()
	return nil
}
