// Package configlint checks a pipeline config as the Benthos core does and reports every
// problem at the line and column of the file the user wrote, with the field's path and, for
// an enum, its allowed values.
//
// The core interpolates ${VAR:default} into the text before it parses the YAML, and its lints
// carry a line but no column (always 1), no path and, for a bad enum value, no allowed values;
// a value of the wrong type (a string for an int field) is no lint at all but a failure when
// the component starts. Check runs the core's linter, places each lint on the YAML node it is
// about, maps that node's position back through the interpolation to the raw file, and adds
// the type checks the core leaves to start-up.
package configlint
