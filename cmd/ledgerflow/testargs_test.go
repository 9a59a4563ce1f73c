package main

import (
	"reflect"
	"testing"
)

func TestRewriteTableArgs(t *testing.T) {
	cases := map[string][2][]string{
		"flags after path": {{"lf", "table", "show", "t/x", "--limit", "10", "--format", "json"}, {"lf", "table", "show", "--limit", "10", "--format", "json", "t/x"}},
		"bool flag":        {{"lf", "table", "describe", "t/x", "--json"}, {"lf", "table", "describe", "--json", "t/x"}},
		"already ordered":  {{"lf", "table", "show", "--limit", "5", "t/x"}, {"lf", "table", "show", "--limit", "5", "t/x"}},
		"other command":    {{"lf", "-c", "x.yaml"}, {"lf", "-c", "x.yaml"}},
	}
	for name, c := range cases {
		if got := rewriteTableArgs(c[0]); !reflect.DeepEqual(got, c[1]) {
			t.Errorf("%s: got %v want %v", name, got, c[1])
		}
	}
}
