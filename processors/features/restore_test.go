package features

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	engine "github.com/ledgerflow/ledgerflow/engine/features"
	"github.com/ledgerflow/ledgerflow/schemas"

	_ "github.com/ledgerflow/ledgerflow/outputs/delta"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
)

// The real pipeline shape: rows → features → (corrections dropped) delta_lake bronze. The
// state restored from that bronze table (real Parquet files and txn versions) gives every
// transaction the same values as the engine that saw the records, and as the reference.
func TestRestoreFromBronzeTable(t *testing.T) {
	dir := t.TempDir()
	bronze := filepath.Join(dir, "bronze")
	sb := service.NewStreamBuilder()
	require.NoError(t, sb.SetLoggerYAML("level: warn"))
	produce, err := sb.AddBatchProducerFunc()
	require.NoError(t, err)
	sb.SetThreads(8)
	require.NoError(t, sb.AddProcessorYAML(fmt.Sprintf(`
features:
  declaration: testdata/features.yaml
  schema_file: %s
  mode: on_arrival
  objects: { merch: { lat: "DECIMAL(9,6)" } }
`, schemaPath())))
	require.NoError(t, sb.AddOutputYAML(fmt.Sprintf(`
switch:
  cases:
    - check: '@features_kind == "correction"'
      output: { drop: {} }
    - output:
        delta_lake:
          path: %s
          mode: append
          schema_file: %s
          pipeline: test
          batching: { count: 50, period: 10ms }
`, bronze, schemaPath())))
	stream, err := sb.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()

	r := rand.New(rand.NewPCG(3, 4))
	var rows []txRow
	offsets := [3]int64{}
	for id := int64(1); id <= 400; id++ {
		p := int(id % 3)
		base := txRow{id: id, acct: 1 + r.Int64N(5), merch: 50 + r.Int64N(3), amount: fmt.Sprintf("%d.%02d", r.IntN(500), r.IntN(100)),
			status: "pending", at: time.Duration(r.IntN(3600)) * time.Second, partition: p, offset: offsets[p]}
		offsets[p]++
		rows = append(rows, base)
		if r.IntN(3) == 0 {
			u := base
			u.op, u.status, u.sourceAt, u.offset = "u", "failed", base.at+time.Duration(r.IntN(120))*time.Second, offsets[p]
			offsets[p]++
			rows = append(rows, u)
		}
	}
	// Send per partition in offset order, in batches, with kafka_prev_offset as the input
	// stamps it, so the output may commit each partition's contiguous prefix.
	for p := 0; p < 3; p++ {
		var batch service.MessageBatch
		prev := int64(-1)
		for _, rw := range rows {
			if rw.partition != p {
				continue
			}
			m := rw.msg()
			m.MetaSetMut("kafka_prev_offset", strconv.FormatInt(prev, 10))
			prev = rw.offset
			batch = append(batch, m)
			if len(batch) == 25 {
				require.NoError(t, produce(ctx, batch))
				batch = nil
			}
		}
		if len(batch) > 0 {
			require.NoError(t, produce(ctx, batch))
		}
	}
	cancel()
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer stopCancel()
	require.NoError(t, stream.Stop(stopCtx))
	<-done

	tx, err := schemas.Load(schemaPath())
	require.NoError(t, err)
	d, err := engine.Load("testdata/features.yaml", tx, map[string]map[string]string{"merch": {"lat": "DECIMAL(9,6)"}})
	require.NoError(t, err)
	var all []engine.Version
	for _, rw := range rows {
		b, _ := rw.msg().AsBytes()
		v, err := d.Version(b, nil)
		require.NoError(t, err)
		all = append(all, v)
	}
	cut, err := engine.CutFromTxns(context.Background(), bronze)
	require.NoError(t, err)
	restored := engine.New(d, engine.Options{Mode: engine.OnArrival})
	st, err := engine.RestoreFromBronze(context.Background(), restored, bronze, cut, time.Now())
	require.NoError(t, err)
	require.Equal(t, len(rows), st.Restored)
	require.Zero(t, st.AboveCut)
	ref := engine.NewReference(d, all)
	for _, v := range all {
		tk, _ := restored.Submit(time.Now(), []engine.Version{v}) // a redelivery: no change to the state
		restored.Resolve(tk[0])
		want, _ := ref.Values(v.TxID, v.Pos)
		require.Equal(t, fmt.Sprint(want), fmt.Sprint(tk[0].Result().Values), "transaction %d", v.TxID)
	}
	require.Equal(t, uint64(len(all)), restored.Stats().Duplicates, "every record was restored")

	// A cut below what bronze holds (the features' results table is behind): those records
	// are left for Kafka to redeliver.
	lower := func(topic string, partition int64) (int64, bool) { o, ok := cut(topic, partition); return o - 5, ok }
	partial := engine.New(d, engine.Options{})
	st, err = engine.RestoreFromBronze(context.Background(), partial, bronze, lower, time.Now())
	require.NoError(t, err)
	require.Equal(t, 15, st.AboveCut)
	require.Equal(t, len(rows)-15, st.Restored)
}
