using System.Globalization;
using System.Text;

namespace Cluster.Cli.Top;

/// <summary>One sample of a Prometheus text page: metric name, labels, value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// Reads the Prometheus text exposition format (version 0.0.4, what every host's <c>/metrics</c> serves): one sample a
/// line, <c>name{label="value",...} value [timestamp]</c>; comments and blank lines skipped, label values unescaped.
/// </summary>
public static class PrometheusText
{
    public static IReadOnlyList<MetricSample> Parse(string page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var samples = new List<MetricSample>();
        foreach (var raw in page.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var position = nameEnd;
            if (line[nameEnd] == '{')
            {
                position = ReadLabels(line, nameEnd + 1, labels);
                if (position < 0)
                {
                    continue; // a malformed line: skipped rather than failing the whole page
                }
            }

            var rest = line[position..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (rest.Length > 0 && TryValue(rest[0], out var value))
            {
                samples.Add(new MetricSample(line[..nameEnd], labels, value));
            }
        }

        return samples;
    }

    // Reads label="value" pairs from start (just after '{') to the closing '}'; returns the index after it, or -1.
    private static int ReadLabels(string line, int start, Dictionary<string, string> labels)
    {
        var i = start;
        while (i < line.Length)
        {
            if (line[i] == '}')
            {
                return i + 1;
            }

            if (line[i] is ',' or ' ')
            {
                i++;
                continue;
            }

            var equals = line.IndexOf('=', i);
            if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"')
            {
                return -1;
            }

            var key = line[i..equals];
            var value = new StringBuilder();
            i = equals + 2;
            for (; i < line.Length && line[i] != '"'; i++)
            {
                if (line[i] == '\\' && i + 1 < line.Length)
                {
                    i++;
                    value.Append(line[i] == 'n' ? '\n' : line[i]);
                }
                else
                {
                    value.Append(line[i]);
                }
            }

            if (i >= line.Length)
            {
                return -1;
            }

            labels[key] = value.ToString();
            i++;
        }

        return -1;
    }

    private static bool TryValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf": value = double.PositiveInfinity; return true;
            case "-Inf": value = double.NegativeInfinity; return true;
            case "NaN": value = double.NaN; return true;
            default: return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }
}
