using System.Text;
using Cluster.Router.Batch;

namespace Cluster.Router.Tests.Batch;

public sealed class BatchInputParserTests
{
    private const string Chat = "/v1/chat/completions";

    private static BatchInput Parse(string text, int maxRequests = 100) => BatchInputParser.Parse(Encoding.UTF8.GetBytes(text), Chat, maxRequests, 1000);

    private static string Line(string customId, string url = Chat, string body = """{"model":"tiny","messages":[{"role":"user","content":"Hi"}]}""") =>
        $$"""{"custom_id":"{{customId}}","method":"POST","url":"{{url}}","body":{{body}}}""";

    [Fact]
    public void Parse_GoodLines_IndexedInOrderSkippingBlankLines()
    {
        var input = Parse(Line("a") + "\n\n" + Line("b") + "\r\n");

        Assert.Equal(2, input.Total);
        Assert.Empty(input.Errors);
        Assert.Equal(["a", "b"], input.Lines.Select(l => l.CustomId));
        Assert.Equal([0, 1], input.Lines.Select(l => l.Index));
        Assert.Equal([1, 3], input.Lines.Select(l => l.LineNumber));
        Assert.Contains("\"messages\"", input.Lines[0].Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MalformedLines_EachAnErrorNamingItsLine_OthersKept()
    {
        var input = Parse(string.Join('\n',
            Line("ok"),
            "{not json",
            """{"method":"POST","url":"/v1/chat/completions","body":{}}""",
            Line("ok"),
            Line("wrong-url", url: "/v1/completions"),
            Line("no-body", body: "[1]"),
            Line("streamed", body: """{"stream":true}"""),
            Line("big", body: $$"""{"model":"{{new string('x', 2000)}}"}"""),
            "[1,2]"));

        Assert.Equal(9, input.Total);
        Assert.Equal(["ok"], input.Lines.Select(l => l.CustomId));
        Assert.Equal(
            ["invalid_json", "missing_custom_id", "duplicate_custom_id", "invalid_url", "invalid_body", "invalid_body", "request_too_large", "invalid_json"],
            input.Errors.Select(e => e.Code));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], input.Errors.Select(e => e.Index));
        Assert.StartsWith("Line 2 is not valid JSON", input.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("'ok' is used by an earlier line", input.Errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("'/v1/completions'", input.Errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("stream is not supported", input.Errors[5].Message, StringComparison.Ordinal);
        Assert.Equal("wrong-url", input.Errors[3].CustomId);
    }

    [Fact]
    public void Parse_WholeFileProblems_Throw()
    {
        Assert.Equal("empty_file", Assert.Throws<BatchInputException>(() => Parse("\n \n")).Code);
        Assert.Equal("too_many_requests", Assert.Throws<BatchInputException>(() => Parse(Line("a") + "\n" + Line("b"), maxRequests: 1)).Code);
        Assert.Equal("invalid_file", Assert.Throws<BatchInputException>(() => BatchInputParser.Parse([0xff, 0xfe, 0x41], Chat, 10, 1000)).Code);
    }
}
