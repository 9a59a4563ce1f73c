package kafka

import (
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// FuzzRecord feeds arbitrary bodies and metadata through the default topic, key, header
// and tombstone settings: a record is built or the message fails with the field named,
// a key is null exactly when kafka_key is empty or absent, and a value is null exactly
// when kafka_tombstone is "true".
func FuzzRecord(f *testing.F) {
	conf, err := kafkaOutputSpec().ParseYAML("seed_brokers: [x:1]\ntopic: '${! meta(\"t\") }'\nmetadata_headers: {include_prefixes: [h]}", nil)
	if err != nil {
		f.Fatal(err)
	}
	c, err := parseOutputConfig(conf)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"a":1}`), "topic", `{"id":1}`, "true", "h1", "v")
	f.Add([]byte{}, "", "", "false", "x", "")
	f.Fuzz(func(t *testing.T, body []byte, topic, key, tomb, hk, hv string) {
		m := service.NewMessage(body)
		m.MetaSetMut("t", topic)
		if key != "" {
			m.MetaSetMut("kafka_key", key)
		}
		m.MetaSetMut("kafka_tombstone", tomb)
		m.MetaSetMut(hk, hv)
		r, err := c.exec(service.MessageBatch{m}).record(0)
		if err != nil {
			if !strings.Contains(err.Error(), "field ") {
				t.Fatalf("error does not name the field: %v", err)
			}
			return
		}
		if r.Topic == "" {
			t.Fatal("empty topic produced")
		}
		if (r.Key == nil) != (key == "") || (key != "" && string(r.Key) != key) {
			t.Fatalf("key %q became %q", key, r.Key)
		}
		if (r.Value == nil) != (tomb == "true") {
			t.Fatalf("kafka_tombstone %q gave value nil=%v", tomb, r.Value == nil)
		}
		if r.Value != nil && string(r.Value) != string(body) {
			t.Fatalf("value changed")
		}
		for _, h := range r.Headers {
			if !strings.HasPrefix(h.Key, "h") {
				t.Fatalf("header %q not selected", h.Key)
			}
		}
	})
}

// FuzzConfig: any YAML either builds an output or fails; nothing panics.
func FuzzConfig(f *testing.F) {
	f.Add("seed_brokers: [a:1]\ntopic: t\npartitioner: round_robin\ncompression: zstd")
	f.Add("seed_brokers: [' , ']\ntopic: t")
	f.Add("seed_brokers: [a:1]\ntopic: t\ntimeout: 1ms\nmax_message_bytes: 1")
	f.Fuzz(func(t *testing.T, yaml string) {
		conf, err := kafkaOutputSpec().ParseYAML(yaml, nil)
		if err != nil {
			return
		}
		_, _ = parseOutputConfig(conf)
	})
}
