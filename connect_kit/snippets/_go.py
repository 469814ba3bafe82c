"""The call as a Go program (net/http), run with ``go run main.go``, as gofmt formats it."""

from __future__ import annotations

import re

from ._common import Call, quoted, template

_PROGRAM = """// {{ call.headline }}
// A private CA (the sandbox's): export SSL_CERT_FILE=/path/to/ca.pem
package main

import (
{% for name in imports %}
	"{{ name }}"
{% endfor %}
)

func main() {
{% if body %}
	body := {{ body }}
{% endif %}
	req, err := http.NewRequest({{ call.method|go }}, {{ call.url|go }}, {{ reader }})
	if err != nil {
		panic(err)
	}
{% if call.scheme %}
	req.Header.Set("Authorization", {{ (call.scheme ~ " ")|go }}+env("INSTACART_TOKEN"))
{% endif %}
{% for name, value in call.headers %}
	req.Header.Set({{ name|go }}, {{ value|go }})
{% endfor %}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		panic(err)
	}
	fmt.Println("HTTP status:", resp.StatusCode)
	fmt.Println(string(data))
}
{% if call.env_vars %}

func env(name string) string {
	value := os.Getenv(name)
	if value == "" {
		fmt.Fprintln(os.Stderr, "set the environment variable "+name)
		os.Exit(2)
	}
	return value
}
{% endif %}
{% if call.secrets %}

func jsonString(text string) string {
	data, _ := json.Marshal(text)
	return string(data)
}
{% endif %}
"""

_TEMPLATE = template(_PROGRAM, go=quoted)  # JSON's string escapes (\U when wide) are Go's


def render(call: Call) -> str:
    """A Go program; the body is a raw string (backquotes spliced in as ``"`"``), each secret
    ``jsonString(env("INSTACART_<FIELD>"))``."""
    text = call.json_text(indent=2)
    body = ""
    if text:
        raw = re.sub("`+", lambda m: f'` + "{m[0]}" + `', text)
        body = "`" + call.fill(raw, lambda var: f'` + jsonString(env("{var}")) + `') + "`"
    used = {
        "bytes": body,
        "encoding/json": call.secrets,
        "fmt": True,
        "io": True,
        "net/http": True,
        "os": call.env_vars,
    }
    imports = [name for name, needed in used.items() if needed]  # in gofmt's order
    reader = "bytes.NewBufferString(body)" if body else "nil"
    return _TEMPLATE.render(call=call, body=body, imports=imports, reader=reader)
