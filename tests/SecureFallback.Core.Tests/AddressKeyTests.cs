using SecureFallback.Core.Pickup;

namespace SecureFallback.Core.Tests;

public sealed class AddressKeyTests
{
    [Theory]
    [InlineData("MiXeD.Case@Plain.TEST", "mixed.case@plain.test")]
    [InlineData("JÜRGEN@plain.test", "jÜrgen@plain.test")] // only the ASCII letters fold
    [InlineData("\"QUOTED ..UPPER\"@XN--Bcher-kva.test", "\"quoted ..upper\"@xn--bcher-kva.test")]
    [InlineData("  o'brien@plain.test ", "o'brien@plain.test")] // the NormalizeAddress form: trimmed
    [InlineData("!#$%*?^{|}~@plain.test", "!#$%*?^{|}~@plain.test")]
    public void AddressKeyOf_FoldsAsciiLettersOnly(string address, string key) =>
        Assert.Equal(key, PickupGrant.AddressKeyOf(address));

    [Theory]
    [InlineData("ımran@plain.test", "imran@plain.test")] // dotless i: Unicode upper-cases it to I
    [InlineData("jürgen@plain.test", "JÜRGEN@plain.test")]
    [InlineData("ſam@plain.test", "sam@plain.test")] // long s: Unicode upper-cases it to S
    [InlineData("\u212Aate@plain.test", "kate@plain.test")] // the Kelvin sign: Unicode lower-cases it to k
    [InlineData("jürgen@plain.test", "ju\u0308rgen@plain.test")] // composed and decomposed: compared as they are
    public void AddressesThatDifferBeyondAsciiCase_HaveDifferentKeys(string one, string other)
    {
        Assert.NotEqual(PickupGrant.AddressKeyOf(one), PickupGrant.AddressKeyOf(other));
        Assert.NotEqual(AsciiCase.Upper(one), AsciiCase.Upper(other)); // the portal's account look-up
    }

    [Fact]
    public void AsciiCase_OnAsciiText_IsWhatTheInvariantCultureGives()
    {
        // Accounts were looked up by ToUpperInvariant: for ASCII addresses the stored look-up names stay valid.
        var ascii = new string([.. Enumerable.Range(1, 126).Select(c => (char)c)]);
        Assert.Equal(ascii.ToUpperInvariant(), AsciiCase.Upper(ascii));
        Assert.Equal(ascii.ToLowerInvariant(), AsciiCase.Lower(ascii));
    }

    [Fact]
    public void AsciiCase_LeavesTextWithoutLettersToChangeAsItIs()
    {
        const string text = "jürgen@plain.test";
        Assert.Same(text, AsciiCase.Lower(text));
        Assert.Equal("JüRGEN@PLAIN.TEST", AsciiCase.Upper(text));
    }

    [Fact]
    public void Issue_StoresTheKeyOfTheAddress_AndSettingTheAddressKeepsItInStep()
    {
        var (grant, _) = PickupGrant.Issue(1, Guid.NewGuid(), "JÜRGEN@Plain.TEST", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(1));
        Assert.Equal("JÜRGEN@plain.test", grant.Address);
        Assert.Equal("jÜrgen@plain.test", grant.AddressKey);

        grant.Address = "Other@plain.test";
        Assert.Equal("other@plain.test", grant.AddressKey);
    }
}
