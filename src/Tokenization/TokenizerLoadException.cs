namespace Cluster.Tokenization;

/// <summary>A tokenizer file is malformed or uses a feature this implementation does not support; the message names it.</summary>
public sealed class TokenizerLoadException : Exception
{
    public TokenizerLoadException(string message) : base(message) { }

    public TokenizerLoadException(string message, Exception inner) : base(message, inner) { }

    public TokenizerLoadException() { }
}
