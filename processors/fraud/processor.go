// Package fraud is the `fraud_rules` Benthos processor, a thin adapter over the rule engine
// engine/fraud: it reads the configuration, keeps the engine's rule set current (polling
// and SIGHUP), reads each row and the upstream values into an environment, evaluates, and
// writes the result into the row, the metadata and the metrics.
package fraud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/redpanda-data/benthos/v4/public/service"

	engine "github.com/ledgerflow/ledgerflow/engine/fraud"
)

func init() {
	service.MustRegisterProcessor("fraud_rules", processorSpec(), newProcessor)
}

type processor struct {
	eng     *engine.Engine
	envKey  string
	ops     map[string]bool
	log     *service.Logger
	pool    sync.Pool // *state
	hits    *service.MetricCounter
	errs    *service.MetricCounter
	input   *service.MetricCounter
	reloads *service.MetricCounter

	warned sync.Map // "version/rule" -> struct{}: a failing rule is logged once per version

	stop      context.CancelFunc
	wg        sync.WaitGroup
	sig       chan os.Signal
	closeOnce sync.Once
}

// state is one goroutine's evaluation scratch.
type state struct {
	env *engine.Env
	res engine.Result
	buf []byte
}

// settings is the parsed configuration besides the engine's.
type settings struct {
	rules  []string
	bands  engine.Bands
	env    engine.EnvironmentConfig
	sighup bool
	envKey string
}

func settingsFromConfig(conf *service.ParsedConfig) (engine.Config, settings, error) {
	var s settings
	var err error
	if s.rules, err = conf.FieldStringList(fRules); err != nil {
		return engine.Config{}, s, err
	}
	if len(s.rules) == 0 {
		return engine.Config{}, s, errors.New("rules: at least one rule file, directory or glob is required")
	}
	bands, err := conf.FieldObjectList(fBands)
	if err != nil {
		return engine.Config{}, s, err
	}
	for _, b := range bands {
		var band engine.Band
		if band.Name, err = b.FieldString(fBandName); err != nil {
			return engine.Config{}, s, err
		}
		if b.Contains(fBandBelow) {
			v, err := b.FieldInt(fBandBelow)
			if err != nil {
				return engine.Config{}, s, err
			}
			band.Below = &v
		}
		s.bands = append(s.bands, band)
	}
	if err := s.bands.Validate(); err != nil {
		return engine.Config{}, s, err
	}
	envConf := conf.Namespace(fEnvironment)
	if s.env.SchemaFile, err = envConf.FieldString(fSchemaFile); err != nil {
		return engine.Config{}, s, err
	}
	if envConf.Contains(fFeaturesFile) {
		if s.env.FeaturesFile, err = envConf.FieldString(fFeaturesFile); err != nil {
			return engine.Config{}, s, err
		}
	}
	if envConf.Contains(fObjects) {
		objs := envConf.Namespace(fObjects)
		for _, o := range engine.Objects {
			if o == "tx" || !objs.Contains(o) {
				continue
			}
			m, err := objs.FieldStringMap(o)
			if err != nil {
				return engine.Config{}, s, err
			}
			if s.env.Objects == nil {
				s.env.Objects = map[string]map[string]string{}
			}
			s.env.Objects[o] = m
		}
	}
	if s.sighup, err = conf.FieldBool(fReloadOnSIGHUP); err != nil {
		return engine.Config{}, s, err
	}
	if s.envKey, err = conf.FieldString(fEnvMetadata); err != nil {
		return engine.Config{}, s, err
	}
	desc, err := engine.LoadDescription(s.env)
	if err != nil {
		return engine.Config{}, s, err
	}
	return engine.Config{Rules: s.rules, Description: desc, Bands: s.bands}, s, nil
}

func newProcessor(conf *service.ParsedConfig, res *service.Resources) (service.Processor, error) {
	cfg, s, err := settingsFromConfig(conf)
	if err != nil {
		return nil, err
	}
	interval, err := conf.FieldDuration(fReloadInterval)
	if err != nil {
		return nil, err
	}
	opList, err := conf.FieldStringList(fOps)
	if err != nil {
		return nil, err
	}
	ops := map[string]bool{}
	for _, o := range opList {
		switch o {
		case "c", "u", "r", "d":
			ops[o] = true
		default:
			return nil, fmt.Errorf("ops: %q is not an operation (expected c, u, r or d)", o)
		}
	}
	eng, err := engine.NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	m := res.Metrics()
	p := &processor{
		eng:     eng,
		envKey:  s.envKey,
		ops:     ops,
		log:     res.Logger(),
		hits:    m.NewCounter("fraud_rules_hits_total", "rule"),
		errs:    m.NewCounter("fraud_rules_errors_total", "rule"),
		input:   m.NewCounter("fraud_rules_input_errors_total", "reason"),
		reloads: m.NewCounter("fraud_rules_reloads_total", "result"),
	}
	d := cfg.Description
	p.pool.New = func() any { return &state{env: d.NewEnv()} }
	p.precreate(eng.RuleSet())
	for _, reason := range []string{"invalid_row", "invalid_value"} {
		p.input.Incr(0, reason)
	}
	for _, r := range []string{"ok", "error"} {
		p.reloads.Incr(0, r)
	}
	rs := eng.RuleSet()
	p.log.Infof("fraud_rules: %d rules from %d files, version %s", len(rs.Rules()), len(rs.Files()), rs.Version())

	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	if interval > 0 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			eng.Watch(ctx, interval, p.reported)
		}()
	}
	if s.sighup {
		p.sig = make(chan os.Signal, 1)
		signal.Notify(p.sig, syscall.SIGHUP)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-p.sig:
					changed, err := eng.Reload()
					p.reported(engine.ReloadEvent{Version: eng.RuleSet().Version(), Changed: changed, Err: err})
				}
			}
		}()
	}
	return p, nil
}

// precreate starts every rule's counters at 0, so dashboards see a rule before it fires.
func (p *processor) precreate(rs *engine.RuleSet) {
	for _, r := range rs.Rules() {
		p.hits.Incr(0, r.ID)
		p.errs.Incr(0, r.ID)
	}
}

func (p *processor) reported(ev engine.ReloadEvent) {
	if ev.Err != nil {
		p.reloads.Incr(1, "error")
		p.log.Errorf("fraud_rules: rule files refused, still using version %s: %v", ev.Version, ev.Err)
		return
	}
	p.reloads.Incr(1, "ok")
	if ev.Changed {
		rs := p.eng.RuleSet()
		p.precreate(rs)
		p.log.Infof("fraud_rules: reloaded %d rules, version %s", len(rs.Rules()), rs.Version())
	}
}

func (p *processor) Process(_ context.Context, msg *service.Message) (service.MessageBatch, error) {
	if msg.GetError() != nil {
		return service.MessageBatch{msg}, nil
	}
	if kind, ok := msg.MetaGet("debezium_kind"); ok && kind != "row" {
		return service.MessageBatch{msg}, nil
	}
	body, err := msg.AsBytes()
	if err != nil {
		return nil, err
	}
	st := p.pool.Get().(*state)
	defer p.pool.Put(st)
	env := st.env
	env.Reset()
	info, err := env.SetRow(body)
	if err != nil {
		var fe *engine.FieldError
		if !errors.As(err, &fe) {
			p.input.Incr(1, "invalid_row")
			msg.MetaSetMut(MetaErrorReason, "invalid_row")
			msg.SetError(err)
			return service.MessageBatch{msg}, nil
		}
		p.input.Incr(1, "invalid_value")
		p.log.Debugf("fraud_rules: %v", err)
	}
	if op, _ := env.Get("tx", "op").(string); !p.ops[op] {
		return service.MessageBatch{msg}, nil
	}
	if v, ok := msg.MetaGetMut(p.envKey); ok {
		p.setUpstream(env, v)
	}
	rs := p.eng.RuleSet()
	res := &st.res
	rs.Evaluate(env, res)
	for _, h := range res.Hits {
		p.hits.Incr(1, h.Rule.ID)
	}
	if len(res.Errors) > 0 {
		ids := make([]string, 0, len(res.Errors))
		for _, e := range res.Errors {
			p.errs.Incr(1, e.Rule.ID)
			ids = append(ids, e.Rule.ID)
			if _, seen := p.warned.LoadOrStore(rs.Version()+"/"+e.Rule.ID, struct{}{}); !seen {
				p.log.Warnf("fraud_rules: %v (logged once per rule and rule set version; fraud_rules_errors_total counts them)", e)
			}
		}
		msg.MetaSetMut(MetaRuleErrors, strings.Join(ids, ","))
	}
	if info.HasResult {
		if body, err = engine.RemoveResult(body); err != nil {
			return nil, err // SetRow read this row already; unreachable
		}
	}
	out, err := engine.AppendResult(make([]byte, 0, len(body)+160+96*len(res.Hits)), body, res)
	if err != nil {
		return nil, err
	}
	msg.SetBytes(out)
	msg.MetaSetMut(MetaBand, res.Band)
	msg.MetaSetMut(MetaScore, int64(res.Score))
	return service.MessageBatch{msg}, nil
}

// setUpstream stores the values of the enrich and features processors.
func (p *processor) setUpstream(env *engine.Env, v any) {
	var bad error
	switch objs := v.(type) {
	case map[string]map[string]any:
		for o, fields := range objs {
			if err := env.SetObject(o, fields); err != nil && bad == nil {
				bad = err
			}
		}
	case map[string]any:
		for o, f := range objs {
			fields, ok := f.(map[string]any)
			if !ok {
				if bad == nil {
					bad = errors.New(p.envKey + "." + o + ": expected a map of fields")
				}
				continue
			}
			if err := env.SetObject(o, fields); err != nil && bad == nil {
				bad = err
			}
		}
	default:
		bad = errors.New(p.envKey + ": expected map[string]map[string]any")
	}
	if bad != nil {
		p.input.Incr(1, "invalid_value")
		p.log.Debugf("fraud_rules: %v", bad)
	}
}

func (p *processor) Close(context.Context) error {
	p.closeOnce.Do(func() {
		if p.sig != nil {
			signal.Stop(p.sig)
		}
		p.stop()
		p.wg.Wait()
	})
	return nil
}
