using System.Text;

namespace Cluster.Router.Tests.Api.Fuzz;

/// <summary>
/// Random and mutated OpenAI request bodies from a seed: valid bodies with fields set to wrong types, extreme numbers,
/// NaN-like strings, deep nesting, unsupported parameters and duplicated keys, then (sometimes) byte-level damage:
/// invalid UTF-8, lone surrogate escapes, truncation, flipped/inserted/deleted bytes, or wholly random bytes.
/// </summary>
internal sealed class JsonBodyMutator(Random random)
{
    private static readonly string[] Fields =
    [
        "model", "prompt", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "best_of", "echo",
        "suffix", "stop", "seed", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "user", "stream",
        "stream_options", "top_k", "min_p", "repetition_penalty", "ignore_eos", "stop_token_ids", "request_id", "cache_salt",
        "tools", "tool_choice", "functions", "function_call", "response_format", "logit_bias", "parallel_tool_calls",
        "modalities", "audio", "prediction", "reasoning_effort", "web_search_options", "unknown_extension",
    ];

    private static readonly string[] Literals =
    [
        "null", "true", "false", "0", "-0", "1", "-1", "2", "0.5", "1e308", "-1e308", "1e309", "1e-400", "2147483648", "-2147483649",
        "4294967296", "18446744073709551616", "9223372036854775807", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"\"", "\"x\"",
        "\"ab\\ud800cd\"", "\"\\udfff\"", "\"\\u0000\"", "[]", "{}", "[1,2,3]", "[\"a\",\"b\"]", "[null]", "{\"type\":\"text\"}",
        "{\"type\":\"json_object\"}", "[{\"type\":\"text\",\"text\":\"hi\"}]", "[{\"role\":\"user\",\"content\":\"hi\"}]",
        "[{\"role\":\"tool\",\"content\":\"1\"}]", "[{\"role\":\"assistant\",\"tool_calls\":[{}]}]", "{\"include_usage\":true}",
    ];

    public byte[] Next(bool chat)
    {
        var kind = random.Next(10);
        if (kind == 0)
        {
            return RandomBytes();
        }

        // Fields as raw JSON text, so that values JSON libraries refuse to build (deep nesting, lone surrogates) stay possible.
        var body = Valid(chat);
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            var field = Fields[random.Next(Fields.Length)];
            var value = Value();
            var index = body.FindIndex(f => f.Key == field);
            if (index >= 0 && random.Next(4) != 0)
            {
                body[index] = new(field, value);
            }
            else
            {
                body.Add(new(field, value)); // sometimes a duplicated key
            }
        }

        var text = "{" + string.Join(",", body.Select(f => $"\"{f.Key}\":{f.Value}")) + "}";
        var bytes = Encoding.UTF8.GetBytes(text);
        return kind < 5 ? bytes : Damage(bytes);
    }

    private List<KeyValuePair<string, string>> Valid(bool chat) =>
    [
        new("max_tokens", random.Next(1, 20).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("stream", random.Next(2) == 0 ? "true" : "false"),
        chat
            ? new("messages", """[{"role":"system","content":"be brief"},{"role":"user","content":"hi there"}]""")
            : new("prompt", random.Next(2) == 0 ? "\"Once upon a time\"" : "[1,2,3]"),
    ];

    private string Value() => random.Next(6) switch
    {
        0 => new string('[', 200 + random.Next(200)) + new string(']', 200),
        1 => random.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "e" + random.Next(-400, 400),
        2 => $"\"{new string('a', random.Next(1, 3000))}\"",
        _ => Literals[random.Next(Literals.Length)],
    };

    private byte[] Damage(byte[] bytes)
    {
        var list = bytes.ToList();
        var at = random.Next(list.Count + 1);
        switch (random.Next(5))
        {
            case 0:
                list.InsertRange(at, InvalidUtf8[random.Next(InvalidUtf8.Length)]);
                break;
            case 1:
                var quote = list.IndexOf((byte)'"', Math.Min(at, list.Count - 1));
                list.InsertRange(quote < 0 ? at : quote + 1, Encoding.ASCII.GetBytes(random.Next(2) == 0 ? "\\ud800" : "\\udc00x"));
                break;
            case 2:
                list.RemoveRange(at, list.Count - at);
                break;
            case 3:
                for (var i = random.Next(1, 8); i > 0 && list.Count > 0; i--)
                {
                    list[random.Next(list.Count)] = (byte)random.Next(256);
                }

                break;
            default:
                list.Insert(at, (byte)random.Next(256));
                break;
        }

        return [.. list];
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static readonly byte[][] InvalidUtf8 = [[0xC3, 0x28], [0xFF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80]];
}
