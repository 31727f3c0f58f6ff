namespace SecureFallback.Browser.Tests;

/// <summary>Measurements taken inside the page, for the phone tests.</summary>
internal static class PhoneChecks
{
    /// <summary>
    /// Elements whose right edge passes the screen's (the argument), outside any sideways-scrolling container: what
    /// makes the page scroll sideways (an absolutely placed element counts wherever it is: it may escape its container).
    /// </summary>
    public const string ElementsPastTheRightEdge = """
        width => [...document.body.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > width + 0.5)
            .filter(e => { if (['absolute', 'fixed'].includes(getComputedStyle(e).position)) return true; for (let p = e.parentElement; p; p = p.parentElement) { if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return false; } return true; })
            .slice(0, 8)
            .map(e => `${e.tagName.toLowerCase()}${e.getAttribute('class') ? '.' + e.getAttribute('class') : ''} right=${Math.round(e.getBoundingClientRect().right)}`)
        """;

    /// <summary>
    /// Targets (links, buttons, fields) smaller than 24×24 px that do not meet WCAG 2.5.8's exceptions: a link inside
    /// a sentence, or spacing (a 24 px circle on its centre meets no other target, nor another small target's circle).
    /// </summary>
    public const string UndersizedTargets = """
        () => {
            const targets = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
                .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; });
            const rects = targets.map(e => e.getBoundingClientRect());
            const small = r => r.width < 23.5 || r.height < 23.5;
            const centre = r => [r.left + r.width / 2, r.top + r.height / 2];
            const inSentence = e => e.tagName === 'A' && getComputedStyle(e).display === 'inline'
                && [...e.parentElement.childNodes].some(n => n.nodeType === Node.TEXT_NODE && /\w/.test(n.textContent));
            const toRect = (p, r) => Math.hypot(Math.max(r.left - p[0], 0, p[0] - r.right), Math.max(r.top - p[1], 0, p[1] - r.bottom));
            return targets.flatMap((e, i) => {
                const r = rects[i];
                if (!small(r) || inSentence(e)) return [];
                const c = centre(r);
                const crowded = targets.some((o, j) => j !== i && !o.contains(e) && !e.contains(o)
                    && (small(rects[j]) ? Math.hypot(centre(rects[j])[0] - c[0], centre(rects[j])[1] - c[1]) < 24 : toRect(c, rects[j]) < 12));
                return crowded ? [`${e.tagName.toLowerCase()} "${(e.textContent || e.name || '').trim().slice(0, 40)}" ${Math.round(r.width)}×${Math.round(r.height)}`] : [];
            });
        }
        """;

    /// <summary>
    /// For an element wider than the screen: "ok: …" when it sits in a sideways-scrolling container that fits the
    /// screen, can be scrolled with the keyboard (tabindex 0) and is named for a screen reader (role region, label).
    /// </summary>
    public const string ScrollRegionOf = """
        e => {
            for (let p = e.parentElement; p; p = p.parentElement) {
                if (!['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) continue;
                const fits = p.getBoundingClientRect().right <= document.documentElement.clientWidth;
                const named = p.getAttribute('role') === 'region' && (p.getAttribute('aria-label') || p.getAttribute('aria-labelledby'));
                const focusable = p.tabIndex === 0;
                return (fits && named && focusable ? 'ok: ' : 'not usable: ') + `fits=${fits} named=${!!named} focusable=${focusable}`;
            }
            return 'no scrolling container around it';
        }
        """;
}
