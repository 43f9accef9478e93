using Cluster.Engine.Model;

namespace Cluster.Cli.Up;

/// <summary>
/// <c>cluster up</c>'s model-load progress for one in-process worker, on stderr: on a terminal one line redrawn in place
/// (<c>decode-1  loading model [#########-----------]  45 %  1.12 / 2.47 GiB</c>), else a line every 5 s. A load that
/// ends within a second (the tiny default model) prints nothing.
/// </summary>
public sealed class UpLoadProgress(string worker, TextWriter output, bool? interactive = null) : IProgress<ModelLoadProgress>
{
    private const int Width = 24;
    private readonly bool _interactive = interactive ?? !Console.IsErrorRedirected;
    private TimeSpan? _last;
    private bool _shown;

    public void Report(ModelLoadProgress value)
    {
        if (value.Done)
        {
            if (_shown) output.WriteLine($"{(_interactive ? "\r" : "")}{Line(value)}  {value.Elapsed.TotalSeconds:F1} s, {value.GiBPerSecond:F2} GiB/s");
            return;
        }

        if (value.Elapsed < TimeSpan.FromSeconds(1) || (!_interactive && _last is { } last && value.Elapsed - last < TimeSpan.FromSeconds(5)))
        {
            return;
        }

        _last = value.Elapsed;
        _shown = true;
        if (_interactive) output.Write($"\r{Line(value)}");
        else output.WriteLine(Line(value));
    }

    private string Line(ModelLoadProgress value)
    {
        var filled = (int)Math.Round(value.Fraction * Width);
        return $"{worker,-9} loading model [{new string('#', filled)}{new string('-', Width - filled)}] {100 * value.Fraction,3:F0} %  " +
               $"{value.LoadedGiB:F2} / {value.TotalGiB:F2} GiB";
    }
}
