// Package health holds the Argo CD health checks of BackfillBudget, BackfillCampaign and BackfillMonth: Lua
// scripts in Argo CD's resource_customizations layout (lua/<group>/<Kind>/health.lua with
// health_test.yaml and testdata/), embedded so that docs and tools can show and run exactly
// what users paste into argocd-cm.
package health

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

//go:embed lua/*/*/health.lua
var scripts embed.FS

// scriptRoot is the directory of the resource_customizations tree inside the embedded files.
const scriptRoot = "lua"

// Check is the health script of one kind.
type Check struct {
	// Group is the API group, for example alexandria.ooheynerds.com.
	Group string
	// Kind is the resource kind, for example BackfillCampaign.
	Kind string
	// Script is the Lua source.
	Script string
}

// ConfigKey is the argocd-cm key that registers the script for its kind.
func (c Check) ConfigKey() string {
	return "resource.customizations.health." + c.Group + "_" + c.Kind
}

// Checks returns every embedded health check, sorted by group and kind.
func Checks() []Check {
	paths, err := fs.Glob(scripts, scriptRoot+"/*/*/health.lua")
	if err != nil {
		panic(fmt.Sprintf("health: bad embedded glob: %v", err)) // a constant pattern cannot be bad
	}
	sort.Strings(paths)
	checks := make([]Check, 0, len(paths))
	for _, p := range paths {
		src, err := scripts.ReadFile(p)
		if err != nil {
			panic(fmt.Sprintf("health: reading embedded %s: %v", p, err)) // embedded files are always readable
		}
		parts := strings.Split(path.Dir(p), "/")
		checks = append(checks, Check{Group: parts[1], Kind: parts[2], Script: string(src)})
	}
	return checks
}

// Lookup returns the health check of a group and kind.
func Lookup(group, kind string) (Check, bool) {
	for _, c := range Checks() {
		if c.Group == group && c.Kind == kind {
			return c, true
		}
	}
	return Check{}, false
}

// Status is what a health script reports, in Argo CD's terms.
type Status struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// validStatuses are the health codes Argo CD accepts from a script; any other value shows as
// Unknown with "Lua returned an invalid health status".
var validStatuses = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

// Evaluate runs a health script against an object (as decoded from JSON or unstructured) the way
// Argo CD runs a custom check: only the base and table libraries, the object as the global obj,
// and the result read from the returned table. ctx bounds the run, as Argo CD's 1 s timeout does.
func Evaluate(ctx context.Context, script string, obj map[string]any) (Status, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	L.SetContext(ctx)
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Status{}, fmt.Errorf("opening Lua library %q: %w", lib.name, err)
		}
	}
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		return Status{}, fmt.Errorf("running health script: %w", err)
	}
	table, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return Status{}, fmt.Errorf("health script returned %s, not a table", L.Get(-1).Type())
	}
	st := Status{Status: lua.LVAsString(table.RawGetString("status")), Message: lua.LVAsString(table.RawGetString("message"))}
	if !validStatuses[st.Status] {
		return st, fmt.Errorf("health script returned the invalid status %q", st.Status)
	}
	return st, nil
}

// toLua converts a decoded object into Lua values as Argo CD does: maps and slices become tables,
// numbers become Lua numbers.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case map[string]any:
		t := L.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	default:
		return lua.LString(fmt.Sprint(v))
	}
}
