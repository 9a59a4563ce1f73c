package kafka

import (
	"context"
	"errors"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/kafkaclient"
)

// fetched is a batch of consecutive records of one partition, converted and tracked,
// waiting for ReadBatch.
type fetched struct {
	part  *partition
	span  *span
	batch service.MessageBatch
}

// pollLoop fetches records and queues them as per-partition batches until ctx ends or
// the client fails for good; the error it returns says why it stopped (nil on ctx end).
//
// Records are tracked in their partition's checkpoint between the poll and AllowRebalance
// (BlockRebalanceOnPoll): no revoke or assignment can run in between, so a record is
// always tracked under the assignment it was fetched for. Queueing happens after
// AllowRebalance because it blocks while the pipeline is busy, and a blocked rebalance
// would get this member kicked from the group.
func (in *kafkaInput) pollLoop(ctx context.Context, cl *kgo.Client, out chan<- fetched) error {
	var lastErrLog time.Time
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			cl.AllowRebalance()
			return nil
		}
		if fetches.IsClientClosed() {
			cl.AllowRebalance()
			return kgo.ErrClientClosed
		}
		var fatal error
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			if isFatal(err) && fatal == nil {
				fatal = err
			}
			if kafkaclient.Unreachable(err) {
				return // kgo retries; the client's connection log reports the broker
			}
			// kgo retries these itself; log them, but not in a tight loop.
			if time.Since(lastErrLog) > 5*time.Second {
				lastErrLog = time.Now()
				in.log.Errorf("kafka: fetching %s/%d from %v: %v", topic, p, in.conf.seeds, err)
			}
		})
		var queue []fetched
		fetches.EachPartition(func(ftp kgo.FetchTopicPartition) {
			part := in.assign.get(topicPartition{ftp.Topic, ftp.Partition})
			if part == nil {
				// Not ours any more: the owner re-reads these from the committed offset.
				return
			}
			if ftp.Err == nil {
				first := int64(-1)
				if len(ftp.Records) > 0 {
					first = ftp.Records[0].Offset
				}
				part.lag.fetched(ftp.HighWatermark, first, func() (int64, bool) {
					eo, ok := cl.CommittedOffsets()[ftp.Topic][ftp.Partition]
					return eo.Offset, ok
				})
			}
			for recs := ftp.Records; len(recs) > 0; {
				n := min(len(recs), in.conf.batchMaxRecords)
				chunk := recs[:n]
				recs = recs[n:]
				last := chunk[n-1]
				sp, ok := part.cp.track(last.Offset, last.LeaderEpoch)
				if !ok {
					continue
				}
				batch := make(service.MessageBatch, n)
				for i, r := range chunk {
					batch[i] = recordToMessage(r)
					if part.lastEmitted >= 0 {
						batch[i].MetaSetMut(metaPrevOffset, part.lastEmitted)
					}
					part.lastEmitted = r.Offset
				}
				queue = append(queue, fetched{part: part, span: sp, batch: batch})
			}
		})
		cl.AllowRebalance()
		for _, f := range queue {
			select {
			case out <- f:
			case <-ctx.Done():
				return nil
			}
		}
		if fatal != nil {
			return fatal
		}
	}
}

// isFatal reports errors that retrying with the same client and credentials cannot fix;
// the input then reconnects, which re-checks the brokers and logs the cause.
func isFatal(err error) bool {
	return errors.Is(err, kerr.SaslAuthenticationFailed) ||
		errors.Is(err, kerr.UnsupportedSaslMechanism) ||
		errors.Is(err, kerr.IllegalSaslState) ||
		errors.Is(err, kerr.TopicAuthorizationFailed) ||
		errors.Is(err, kerr.GroupAuthorizationFailed) ||
		errors.Is(err, kerr.ClusterAuthorizationFailed)
}
