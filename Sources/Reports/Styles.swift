/// Inline CSS of the report and the dashboard (no external assets).
enum Styles {
    static let base = """
    :root{--ink:#1d2733;--muted:#5f6b7a;--line:#dfe4ea;--soft:#f4f6f9;--brand:#12355b;--accent:#1f5fa8;
    --green:#2e7d32;--green-bg:#e8f5e9;--amber:#b26a00;--amber-bg:#fff4e0;--red:#c62828;--red-bg:#fdecea;}
    *{box-sizing:border-box}
    html{-webkit-text-size-adjust:100%}
    body{margin:0;color:var(--ink);background:#eef1f5;font-family:'PT Sans','Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;
    font-size:14px;line-height:1.45;-webkit-print-color-adjust:exact;print-color-adjust:exact}
    h1,h2,h3{line-height:1.2;color:var(--brand);margin:0}
    h2{font-size:20px;margin:0 0 14px;padding-bottom:6px;border-bottom:2px solid var(--brand)}
    h3{font-size:15px;margin:16px 0 8px}
    p{margin:0 0 8px}
    .muted{color:var(--muted)}
    .small{font-size:12px}
    .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    figure{margin:0 0 12px;break-inside:avoid;page-break-inside:avoid}
    figcaption{font-size:12px;color:var(--muted);margin-top:4px}
    svg.chart{display:block;max-width:100%;height:auto}
    .grid2{display:grid;grid-template-columns:1fr 1fr;gap:20px;align-items:start}
    .kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
    .kpi{background:#fff;border:1px solid var(--line);border-left:5px solid #9aa5b1;border-radius:6px;padding:10px 12px;break-inside:avoid;page-break-inside:avoid}
    .kpi.s-green{border-left-color:var(--green)}.kpi.s-amber{border-left-color:var(--amber)}.kpi.s-red{border-left-color:var(--red)}
    .kpi .t{font-size:12.5px;color:var(--muted);min-height:2.4em}
    .kpi .v{font-size:26px;font-weight:700;margin:2px 0;white-space:nowrap}
    .kpi .meta{display:flex;justify-content:space-between;gap:6px;font-size:12px;flex-wrap:wrap}
    .kpi .spark{margin-top:6px}
    .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11.5px;font-weight:600;white-space:nowrap}
    .unavail{border-left:4px solid var(--amber);background:var(--amber-bg);padding:10px 12px;border-radius:4px;color:#6b4300}
    .unavail strong{display:block;margin-bottom:2px}
    .b-green{background:var(--green-bg);color:var(--green)}.b-amber{background:var(--amber-bg);color:var(--amber)}
    .b-red{background:var(--red-bg);color:var(--red)}.b-unknown{background:var(--soft);color:var(--muted)}
    .up-good,.down-good{color:var(--green)}.up-bad,.down-bad{color:var(--red)}.flat{color:var(--muted)}
    table{border-collapse:collapse;width:100%;font-size:13px;background:#fff}
    th,td{padding:5px 7px;border-bottom:1px solid var(--line);vertical-align:top}
    th{background:var(--soft);color:var(--brand);font-weight:600;text-align:left;font-size:12px;vertical-align:bottom}
    th.num{text-align:right}
    thead{display:table-header-group}
    tr{break-inside:avoid;page-break-inside:avoid}
    tr.best td{background:var(--green-bg)}
    tr.worst td{background:var(--red-bg)}
    td.name{min-width:180px}
    .rank{font-weight:700;text-align:center}
    .chg{white-space:nowrap;font-size:12px}
    .scorebar{display:inline-block;width:56px;height:7px;background:var(--soft);border-radius:4px;margin-right:6px;vertical-align:middle;overflow:hidden}
    .scorebar>span{display:block;height:100%;background:var(--accent)}
    .legend-row{display:flex;gap:16px;flex-wrap:wrap;font-size:12px;color:var(--muted);margin:6px 0 0}
    .sw{display:inline-block;width:11px;height:11px;border-radius:2px;vertical-align:-1px;margin-right:4px}
    .sw.best{background:var(--green-bg);border:1px solid var(--green)}.sw.worst{background:var(--red-bg);border:1px solid var(--red)}
    .topics{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px}
    .topic{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 12px;break-inside:avoid;page-break-inside:avoid}
    .topic h3{margin:0 0 6px;display:flex;justify-content:space-between;gap:8px}
    .topic td.other{color:var(--muted)}
    .breakdown{font-size:11.5px;color:var(--muted)}
    tr.other td{border-bottom:none}
    .topic table{font-size:12.5px}
    .flags{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
    .flag{background:#fff;border:1px solid var(--line);border-top:4px solid #9aa5b1;border-radius:6px;padding:10px 12px;break-inside:avoid}
    .flag.hot{border-top-color:var(--red)}
    .flag .v{font-size:26px;font-weight:700}
    .highlights{margin:0 0 14px;padding:10px 14px 10px 30px;background:#fff;border:1px solid var(--line);border-radius:6px}
    .highlights li{margin:3px 0}
    .note{font-size:12px;color:var(--muted)}
    .empty{padding:14px;background:#fafbfc;border:1px dashed var(--line);border-radius:6px;color:var(--muted);text-align:center}
    .weights td:first-child{width:38%}
    """

    static let report = base + """
    body.report{background:#eef1f5}
    .page{max-width:1120px;margin:24px auto;background:#fff;padding:36px 44px;box-shadow:0 1px 4px rgba(16,32,64,.12)}
    .cover{border-bottom:4px solid var(--brand);padding-bottom:16px;margin-bottom:20px}
    .cover .org{font-size:13px;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
    .cover h1{font-size:26px;margin:6px 0 8px}
    .cover .period{font-size:18px;color:var(--accent);font-weight:600}
    .cover dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:12px 0 0;font-size:13px}
    .cover dt{color:var(--muted)}.cover dd{margin:0}
    nav.toc{background:var(--soft);border-radius:6px;padding:10px 16px;margin-bottom:24px;font-size:13px}
    nav.toc ol{margin:4px 0 0;padding-left:20px;columns:2;column-gap:32px}
    nav.toc a{color:var(--accent);text-decoration:none}
    section.rs{margin:0 0 30px}
    footer.rf{margin-top:28px;padding-top:10px;border-top:1px solid var(--line);font-size:11.5px;color:var(--muted)}
    @page{size:A4;margin:14mm 12mm 16mm 12mm;@bottom-right{content:counter(page);font-size:9pt;color:#5f6b7a}}
    @media print{
      body,body.report{background:#fff;font-size:10.5pt}
      .page{max-width:none;margin:0;padding:0;box-shadow:none}
      section.rs.break{break-before:page;page-break-before:always}
      nav.toc a{color:inherit}
      h2,h3{break-after:avoid;page-break-after:avoid}
      .kpis{grid-template-columns:repeat(4,1fr)}
      .topics{grid-template-columns:1fr 1fr}
      .flags{grid-template-columns:repeat(4,1fr)}
    }
    @media (max-width:760px){.page{padding:18px}.grid2{grid-template-columns:1fr}.flags{grid-template-columns:1fr 1fr}nav.toc ol{columns:1}}
    """

    static let dashboard = base + """
    body.dash{background:#e9edf2}
    header.dh{background:var(--brand);color:#fff;padding:14px 24px;display:flex;justify-content:space-between;align-items:flex-end;gap:16px;flex-wrap:wrap}
    header.dh h1{color:#fff;font-size:21px}
    header.dh .sub{color:#c9d6e6;font-size:13px;margin-top:3px}
    header.dh .ts{font-size:12.5px;color:#c9d6e6;text-align:right}
    main.dg{display:grid;grid-template-columns:repeat(12,minmax(0,1fr));gap:16px;padding:16px 24px 32px}
    .banner{grid-column:span 12;background:var(--amber-bg);border:1px solid #f0c987;color:#7a4a00;border-radius:6px;padding:10px 14px}
    .panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px;min-width:0;overflow:hidden}
    .panel h2{font-size:16px;border-bottom-width:1px;margin-bottom:10px}
    .panel .scroll{overflow-x:auto}
    .sp12{grid-column:span 12}.sp8{grid-column:span 8}.sp6{grid-column:span 6}.sp4{grid-column:span 4}
    .panel.unavailable{background:#fbfbfc;border-style:dashed}
    .panel .kpis{grid-template-columns:repeat(auto-fill,minmax(190px,1fr))}
    @media (max-width:1200px){.sp4{grid-column:span 6}.sp8{grid-column:span 12}}
    @media (max-width:800px){main.dg{padding:10px;gap:10px}.sp4,.sp6,.sp8{grid-column:span 12}.grid2{grid-template-columns:1fr}}
    @media print{body.dash{background:#fff}header.dh{background:#fff;color:var(--ink)}header.dh h1{color:var(--brand)}main.dg{display:block}.panel{margin-bottom:12px;break-inside:avoid}}
    """
}
