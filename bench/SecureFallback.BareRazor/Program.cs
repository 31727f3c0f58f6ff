using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

// Bare ASP.NET Core beside the portal (bench/portal.sh): `/` a Razor page with an anti-forgery form, `/signin` signs in
// a fixed user with a cookie and redirects, `/page` a cookie-authenticated Razor page,
// `/page50` the same with the bench message's 50 KB statement HTML in its body. The port comes from --urls.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddRazorPages(options => options.Conventions.AuthorizePage("/Page").AuthorizePage("/Page50"));
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options => options.LoginPath = "/signin");
builder.Services.AddAuthorization();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/signin", async context =>
{
    var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "reader@bench.test")], CookieAuthenticationDefaults.AuthenticationScheme);
    await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    context.Response.Redirect("/page");
});
app.MapRazorPages();
app.Run();
