using SecureFallback.Core.Pickup;

namespace SecureFallback.Core.Tests;

public sealed class OneTimeCodeTests
{
    [Fact]
    public void New_IsTenCharactersOfAn32LetterAlphabet_InTwoGroupsOfFive()
    {
        Assert.Equal(32, OneTimeCode.Alphabet.Distinct().Count());
        Assert.True(OneTimeCode.Length * Math.Log2(OneTimeCode.Alphabet.Length) >= 40);
        var codes = Enumerable.Range(0, 200).Select(_ => OneTimeCode.New()).ToList();
        Assert.All(codes, code =>
        {
            Assert.Matches("^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}$", code);
        });
        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Fact]
    public void New_UsesTheWholeAlphabet()
    {
        var seen = Enumerable.Range(0, 100).SelectMany(_ => OneTimeCode.New().Replace("-", "", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(OneTimeCode.Alphabet.Length, seen.Count);
    }

    [Theory]
    [InlineData("K7Q4M-9TXW2", "K7Q4M9TXW2")]
    [InlineData("k7q4m-9txw2", "K7Q4M9TXW2")]
    [InlineData(" k7q4m 9txw2 ", "K7Q4M9TXW2")]
    [InlineData("K7Q-4M9-TXW2", "K7Q4M9TXW2")]
    [InlineData("K7Q4M9TXW2", "K7Q4M9TXW2")]
    public void Normalize_IgnoresCaseSpacesAndDashes(string typed, string expected) =>
        Assert.Equal(expected, OneTimeCode.Normalize(typed));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("123456")]
    [InlineData("K7Q4M-9TXW")]
    [InlineData("K7Q4M-9TXW22")]
    [InlineData("K7Q4M-9TXWO")] // O is not in the alphabet
    [InlineData("K7Q4M-9TXW1")]
    public void Normalize_RefusesAnythingThatIsNotACode(string? typed) =>
        Assert.Null(OneTimeCode.Normalize(typed));

    [Fact]
    public void Hash_IsBoundToTheAccountAndThePurpose_AndMatchesInConstantTime()
    {
        var hash = OneTimeCode.Hash("user-1", "reset", "K7Q4M9TXW2");
        Assert.True(OneTimeCode.Matches(hash, "user-1", "reset", "k7q4m-9txw2"));
        Assert.False(OneTimeCode.Matches(hash, "user-2", "reset", "K7Q4M9TXW2"));
        Assert.False(OneTimeCode.Matches(hash, "user-1", "registration", "K7Q4M9TXW2"));
        Assert.False(OneTimeCode.Matches(hash, "user-1", "reset", "K7Q4M9TXW3"));
        Assert.False(OneTimeCode.Matches(hash, "user-1", "reset", "nonsense"));
        Assert.DoesNotContain("K7Q4M9TXW2", Convert.ToHexString(hash), StringComparison.Ordinal);
    }
}
