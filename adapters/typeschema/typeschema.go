// Package typeschema writes the JSON Schema (draft 2020-12, the dialect of
// OpenAPI 3.1 and AsyncAPI 3.0) of Go types as encoding/json writes and
// reads them: tagged names, embedded structs flattened, omitempty fields
// optional, nil pointers, slices and maps null. The API and topic
// descriptions are made from the types themselves, so they cannot drift.
package typeschema

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Generator makes schemas. Its zero value writes every struct inline.
type Generator struct {
	// Special, when set, gives the schema of a type that encodes its own
	// way (a custom unmarshaler); false to let its kind decide.
	Special func(t reflect.Type) (map[string]any, bool)
	// RefPrefix, when set, makes each named struct type a definition of
	// its own, in Defs under Name's name, referred to as RefPrefix+name
	// ("#/components/schemas/"); closed to fields it does not declare.
	RefPrefix string
	// Name names a struct type's definition (its Go name when nil).
	Name func(t reflect.Type) string
	// Defs holds the definitions made, by name.
	Defs  map[string]any
	named map[reflect.Type]string
	used  map[string]bool
}

var (
	timeType   = reflect.TypeOf(time.Time{})
	numberType = reflect.TypeOf(json.Number(""))
)

// Of returns the schema of values of t.
func (g *Generator) Of(t reflect.Type) map[string]any { return g.of(t, false) }

// Input returns the schema of t as a body to decode: every field optional
// (which fields a request needs depends on one another, for the code that
// reads it to say). With RefPrefix, a struct type is defined once, as its
// first use has it: give input and output types of their own.
func (g *Generator) Input(t reflect.Type) map[string]any { return g.of(t, true) }

func (g *Generator) of(t reflect.Type, input bool) map[string]any {
	if g.Special != nil {
		if s, ok := g.Special(t); ok {
			return s
		}
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == numberType:
		return map[string]any{"type": "number"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(g.of(t.Elem(), input))
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array: // a nil slice is written null
		return nullable(map[string]any{"type": "array", "items": g.of(t.Elem(), input)})
	case reflect.Map:
		return nullable(map[string]any{"type": "object", "additionalProperties": g.of(t.Elem(), input)})
	case reflect.Struct:
		if g.RefPrefix != "" && t.Name() != "" {
			return g.ref(t, input)
		}
		return g.object(t, input)
	}
	return map[string]any{}
}

// object is the schema of struct type t.
func (g *Generator) object(t reflect.Type, input bool) map[string]any {
	props, required := map[string]any{}, []string{}
	g.fields(t, input, props, &required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	if g.RefPrefix != "" {
		s["additionalProperties"] = false
	}
	return s
}

// ref defines struct type t once and refers to it.
func (g *Generator) ref(t reflect.Type, input bool) map[string]any {
	if g.named == nil {
		g.named, g.used = map[reflect.Type]string{}, map[string]bool{}
	}
	if g.Defs == nil {
		g.Defs = map[string]any{}
	}
	name, ok := g.named[t]
	if !ok {
		name = t.Name()
		if g.Name != nil {
			name = g.Name(t)
		}
		for g.used[name] {
			name += "_" // two types of one name in different packages
		}
		g.named[t], g.used[name] = name, true
		g.Defs[name] = g.object(t, input)
	}
	return map[string]any{"$ref": g.RefPrefix + name}
}

// nullable lets s also be null, as encoding/json writes a nil pointer,
// slice or map.
func nullable(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok {
		s["type"] = []string{t, "null"}
	}
	return s
}

// fields adds t's JSON fields to props, flattening embedded structs as
// encoding/json does.
func (g *Generator) fields(t reflect.Type, input bool, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, input, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type, input)
		if !input && !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}
