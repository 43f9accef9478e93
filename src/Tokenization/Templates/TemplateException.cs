namespace Cluster.Tokenization.Templates;

/// <summary>
/// A chat template could not be parsed or rendered: a syntax error, an unsupported Jinja construct
/// (named, with its line and column), or the template's own <c>raise_exception(...)</c>.
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string message) : base(message) { }

    public TemplateException(string message, Exception inner) : base(message, inner) { }

    public TemplateException() { }

    /// <summary>True when the template itself called raise_exception (e.g. roles do not alternate).</summary>
    public bool RaisedByTemplate { get; init; }
}
