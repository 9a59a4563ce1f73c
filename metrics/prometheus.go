// Package metrics holds the `prometheus` metrics exporter. The Benthos core ships none (only
// json_api, logger and none) and Redpanda Connect's is not open source, so this one is ours,
// on client_golang. Registering it under the name "prometheus" also makes it the default
// metrics type of every ledgerflow config.
package metrics

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redpanda-data/benthos/v4/public/service"
)

const (
	fieldPrefix      = "prefix"
	fieldGoMetrics   = "add_go_metrics"
	fieldTimeBuckets = "timer_buckets_seconds"
)

func spec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Summary("Exposes metrics for Prometheus to scrape at `/metrics` (and `/stats`) on the ledgerflow HTTP server (default `0.0.0.0:4195`).").
		Description(`Every counter, gauge and timer of the pipeline (Benthos core metrics such as ` + "`input_received`" + `,
` + "`output_sent`" + `, ` + "`output_latency_ns`" + ` and LedgerFlow's own, e.g. ` + "`debezium_unwrap_errors_total`" + `) becomes a
Prometheus series with the component's ` + "`label`" + ` and ` + "`path`" + ` as labels. Timers are histograms in seconds (the
name keeps Benthos' ` + "`_ns`" + ` suffix stripped and gains ` + "`_seconds`" + `).

This exporter is the default: a config without a ` + "`metrics`" + ` block uses it.`).
		Field(service.NewStringField(fieldPrefix).Description("A prefix added to every metric name, e.g. `ledgerflow_`.").Default("")).
		Field(service.NewBoolField(fieldGoMetrics).Description("Also export Go runtime and process metrics (`go_*`, `process_*`).").Default(true)).
		Field(service.NewFloatListField(fieldTimeBuckets).
			Description("Histogram buckets, in seconds, for timers.").
			Default([]any{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0}).
			Advanced())
}

func init() {
	service.MustRegisterMetricsExporter("prometheus", spec(), func(conf *service.ParsedConfig, log *service.Logger) (service.MetricsExporter, error) {
		prefix, err := conf.FieldString(fieldPrefix)
		if err != nil {
			return nil, err
		}
		goMetrics, err := conf.FieldBool(fieldGoMetrics)
		if err != nil {
			return nil, err
		}
		buckets, err := conf.FieldFloatList(fieldTimeBuckets)
		if err != nil {
			return nil, err
		}
		return NewExporter(prefix, goMetrics, buckets, log), nil
	})
}

// Exporter is a service.MetricsExporter backed by its own Prometheus registry.
type Exporter struct {
	reg     *prometheus.Registry
	prefix  string
	buckets []float64
	log     *service.Logger

	mu         sync.Mutex
	collectors map[string]prometheus.Collector
}

// NewExporter returns an exporter with a fresh registry.
func NewExporter(prefix string, goMetrics bool, buckets []float64, log *service.Logger) *Exporter {
	reg := prometheus.NewRegistry()
	if goMetrics {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return &Exporter{reg: reg, prefix: prefix, buckets: buckets, log: log, collectors: map[string]prometheus.Collector{}}
}

var invalidChars = regexp.MustCompile(`[^a-zA-Z0-9_:]`)

func (e *Exporter) name(n string) string {
	return invalidChars.ReplaceAllString(e.prefix+n, "_")
}

// collector returns the collector registered under name, creating it with mk the first time.
// Several components ask for the same metric (every output asks for output_sent); they must
// share one collector, and a second registration with other label keys would be refused by
// Prometheus, so the first label set wins and the mismatch is logged.
func (e *Exporter) collector(name string, labels []string, mk func() prometheus.Collector) prometheus.Collector {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := name
	if c, ok := e.collectors[key]; ok {
		return c
	}
	c := mk()
	if err := e.reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			c = are.ExistingCollector
		} else if e.log != nil {
			e.log.Warnf("prometheus: metric %s with labels %v not registered: %v", name, labels, err)
		}
	}
	e.collectors[key] = c
	return c
}

// NewCounterCtor implements service.MetricsExporter.
func (e *Exporter) NewCounterCtor(name string, labelKeys ...string) service.MetricsExporterCounterCtor {
	n := e.name(name)
	vec, ok := e.collector(n, labelKeys, func() prometheus.Collector {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: n, Help: "LedgerFlow counter " + n}, labelKeys)
	}).(*prometheus.CounterVec)
	return func(labelValues ...string) service.MetricsExporterCounter {
		if !ok {
			return noop{}
		}
		c, err := vec.GetMetricWithLabelValues(labelValues...)
		if err != nil {
			return noop{}
		}
		return counter{c}
	}
}

// NewTimerCtor implements service.MetricsExporter.
func (e *Exporter) NewTimerCtor(name string, labelKeys ...string) service.MetricsExporterTimerCtor {
	n := e.name(strings.TrimSuffix(name, "_ns") + "_seconds")
	vec, ok := e.collector(n, labelKeys, func() prometheus.Collector {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: n, Help: "LedgerFlow timer " + n, Buckets: e.buckets}, labelKeys)
	}).(*prometheus.HistogramVec)
	return func(labelValues ...string) service.MetricsExporterTimer {
		if !ok {
			return noop{}
		}
		o, err := vec.GetMetricWithLabelValues(labelValues...)
		if err != nil {
			return noop{}
		}
		return timer{o}
	}
}

// NewGaugeCtor implements service.MetricsExporter.
func (e *Exporter) NewGaugeCtor(name string, labelKeys ...string) service.MetricsExporterGaugeCtor {
	n := e.name(name)
	vec, ok := e.collector(n, labelKeys, func() prometheus.Collector {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: n, Help: "LedgerFlow gauge " + n}, labelKeys)
	}).(*prometheus.GaugeVec)
	return func(labelValues ...string) service.MetricsExporterGauge {
		if !ok {
			return noop{}
		}
		g, err := vec.GetMetricWithLabelValues(labelValues...)
		if err != nil {
			return noop{}
		}
		return gauge{g}
	}
}

// HandlerFunc is mounted by the Benthos HTTP server at /metrics and /stats.
func (e *Exporter) HandlerFunc() http.HandlerFunc {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}).ServeHTTP
}

// Close implements service.MetricsExporter.
func (e *Exporter) Close(context.Context) error { return nil }

type counter struct{ c prometheus.Counter }

func (c counter) Incr(n int64)          { c.c.Add(float64(n)) }
func (c counter) IncrFloat64(n float64) { c.c.Add(n) }
func (t timer) Timing(ns int64)         { t.o.Observe(float64(ns) / 1e9) }
func (g gauge) Set(v int64)             { g.g.Set(float64(v)) }
func (g gauge) SetFloat64(v float64)    { g.g.Set(v) }
func (noop) Incr(int64)                 {}
func (noop) Timing(int64)               {}
func (noop) Set(int64)                  {}

type timer struct{ o prometheus.Observer }
type gauge struct{ g prometheus.Gauge }
type noop struct{}
