package plugins

// Temporary: pins modules that packages under construction will import.
import (
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/expr-lang/expr"
	_ "github.com/google/uuid"
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/stretchr/testify/require"
	_ "github.com/twmb/franz-go/pkg/kadm"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "github.com/twmb/franz-go/pkg/kgo"
)
