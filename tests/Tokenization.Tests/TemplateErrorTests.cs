using Cluster.Tokenization.Templates;

namespace Cluster.Tokenization.Tests;

/// <summary>Unsupported Jinja is rejected with the construct's name and position; whitespace rules match Jinja's.</summary>
public class TemplateErrorTests
{
    [Theory]
    [InlineData("ok\n{% macro m() %}x{% endmacro %}", "'{% macro %}' at line 2, column 4")]
    [InlineData("{{ x | frobnicate }}", "unsupported filter 'frobnicate' at line 1, column 6")]
    [InlineData("{% if x is weird %}{% endif %}", "unsupported test 'weird' at line 1, column 9")]
    [InlineData("{% for x in y %}", "missing '{% endfor %}'")]
    [InlineData("{{ 'abc' ", "unclosed '{{' tag opened at line 1, column 1")]
    [InlineData("{% include 'other' %}", "unsupported Jinja construct '{% include %}' at line 1, column 4")]
    public void Unsupported_or_broken_templates_name_the_construct_and_position(string source, string expected)
    {
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source).Render(new Dictionary<string, object?>()));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calling_an_unknown_method_names_it()
    {
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("{{ 'a'.zfill(3) }}").Render(new Dictionary<string, object?>()));
        Assert.Contains("method 'zfill'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\n  {% if true %}\nb\n  {% endif %}\nc\n", "a\nb\nc")]
    [InlineData("a  {%- if true -%}  b  {%- endif %}", "ab")]
    [InlineData("x {# comment #}\ny", "x y")]
    [InlineData("{{ 'HHi?'.lstrip('H') }}|{{ 'xax'.strip('x') }}|{{ 'a b  c'.split() | length }}|{{ 'a,b'.split(',', 1)[-1] }}", "i?|a|3|b")]
    [InlineData("{{ x | length }}|{{ x[1] }}|{{ x[-2:] }}|{{ x | reverse }}", "3|\U0001F600|\U0001F600b|b\U0001F600a", "a\U0001F600b")]
    [InlineData("{{ '%s' ~ 1 }}|{{ 1.5 }}|{{ 10 / 4 }}|{{ [1, 'a'] }}", "%s1|1.5|2.5|[1, 'a']")]
    public void Whitespace_control_and_python_semantics(string source, string expected, string x = "")
    {
        Assert.Equal(expected, ChatTemplate.Parse(source).Render(new Dictionary<string, object?> { ["x"] = x }));
    }

    [Fact]
    public void Raise_exception_is_reported_as_raised_by_template()
    {
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("{{ raise_exception('no system role') }}").Render(new Dictionary<string, object?>()));
        Assert.True(e.RaisedByTemplate);
        Assert.Equal("no system role", e.Message);
    }

    [Fact]
    public void Config_with_a_list_of_named_templates_exposes_each()
    {
        var config = TokenizerConfig.Parse("""{"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}""");
        Assert.Equal("T", ChatTemplate.FromConfig(config, "tool_use").Render(new Dictionary<string, object?>()));
        Assert.Contains("has: default, tool_use", Assert.Throws<TemplateException>(() => ChatTemplate.FromConfig(config, "rag")).Message, StringComparison.Ordinal);
    }
}
