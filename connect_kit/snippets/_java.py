"""The call as a Java program (java.net.http), run with ``java Main.java``."""

from __future__ import annotations

import json

from ._common import Call, template

_PROGRAM = r"""// {{ call.headline }}
// A private CA (the sandbox's): put it in a truststore and run
//   java -Djavax.net.ssl.trustStore=trust.p12 -Djavax.net.ssl.trustStorePassword=changeit Main.java
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

public class Main {
    public static void main(String[] args) throws Exception {
{% if body %}
        String body = {{ body }};
{% endif %}
        HttpRequest request = HttpRequest.newBuilder(URI.create({{ call.url|java }}))
            .method({{ call.method|java }}, HttpRequest.BodyPublishers.{{ publisher }})
{% if call.scheme %}
            .header("Authorization", {{ (call.scheme ~ " ")|java }} + env("INSTACART_TOKEN"))
{% endif %}
{% for name, value in call.headers %}
            .header({{ name|java }}, {{ value|java }})
{% endfor %}
            .build();
        HttpResponse<String> response = HttpClient.newHttpClient()
            .send(request, HttpResponse.BodyHandlers.ofString());
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("HTTP status: " + response.statusCode());
        out.println(response.body());
    }
{% if call.env_vars %}

    static String env(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException("set the environment variable " + name);
        }
        return value;
    }
{% endif %}
{% if call.secrets %}

    static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
{% endif %}
}
"""

# A Java string literal in ASCII (the source's encoding then never matters). JSON's escapes
# are all Java's, and json.dumps never writes a \u escape that Java would read as a line break
# or a quote before the lexer runs (it writes \n, \r, \" and \\ for those).
_java = json.dumps

_TEMPLATE = template(_PROGRAM, java=_java)


def render(call: Call) -> str:
    """A Java program; the body is a sum of one literal per line of its JSON text, each
    secret ``json(env("INSTACART_<FIELD>"))``."""
    text = call.json_text(indent=2)
    # the only raw line breaks of the text are its layout's: visible() escapes the others
    lines = [
        call.fill(_java(line), lambda var: f'" + json(env("{var}")) + "', quote='\\"')
        for line in text.splitlines(keepends=True)
    ]
    body = "\n            + ".join(lines)
    publisher = "ofString(body)" if body else "noBody()"
    return _TEMPLATE.render(call=call, body=body, publisher=publisher)
