/// The report's one style sheet, inline in the page: a sheet of paper on screen, A4 in print (Chromium,
/// Firefox and print-to-PDF honour `@page`), colours kept in print so outcomes stay told apart (shapes
/// tell them apart in black and white too). Fonts are the reader's own: nothing is fetched.
enum ReportStyle {
    static let css = """
        *{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}\
        html{background:#e9edf2}\
        body{margin:0;color:#1b1f24;font:13px/1.4 "DejaVu Sans",Arial,system-ui,sans-serif}\
        main{max-width:200mm;margin:16px auto;padding:10mm 12mm;background:#fff;box-shadow:0 1px 4px rgba(0,0,0,.18)}\
        header{border-bottom:3px solid #1d4f91;padding-bottom:4px;margin-bottom:6px}\
        .org{margin:0;color:#44515f;font-weight:700;text-transform:uppercase;letter-spacing:.04em;font-size:11px}\
        h1{font-size:20px;margin:2px 0}\
        h2{font-size:15px;color:#1d4f91;margin:12px 0 4px;border-bottom:1px solid #c9d3df;padding-bottom:1px}\
        h3{font-size:13px;margin:8px 0 3px}\
        h4{font-size:11px;margin:8px 0 2px;font-weight:600}\
        p{margin:3px 0}\
        .muted{color:#5b6673}\
        .withheld{margin:4px 0 0;padding:2px 6px;border-left:3px solid #e65100;background:#fff4e5}\
        code,pre{font-family:"DejaVu Sans Mono",ui-monospace,Menlo,monospace;font-size:11px}\
        code{overflow-wrap:anywhere}\
        pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:3px 0;background:#f3f5f8;padding:4px 6px;\
        border-radius:3px}\
        .sha{font-weight:700;font-size:12px}\
        dl.facts{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:1px 10px;margin:3px 0}\
        dl.facts dt{color:#44515f}\
        dl.facts dd{margin:0;overflow-wrap:anywhere}\
        dl.facts dd.wide{grid-column:2 / 5}dl.facts dt.wide{grid-column:1}\
        table{border-collapse:collapse;width:100%;margin:4px 0;font-size:11px}\
        th,td{text-align:left;vertical-align:top;padding:1px 5px;border-bottom:1px solid #e1e6ec}\
        th{background:#eef2f7;font-weight:600}\
        td.num{text-align:right;font-variant-numeric:tabular-nums}\
        .nowrap{white-space:nowrap}table.events,table.derived{table-layout:fixed}td{overflow-wrap:anywhere}\
        td.said{overflow-wrap:anywhere;word-break:break-word}\
        .outcome{font-weight:700;padding:0 4px;border-radius:3px;color:#fff;white-space:nowrap}\
        .outcome.ok{background:#2e7d32}.outcome.refused{background:#c62828}.outcome.failed{background:#e65100}\
        svg.timeline{width:100%;height:auto;display:block;margin:2px 0 4px}\
        svg text{font-family:"DejaVu Sans",Arial,sans-serif;fill:#1b1f24}\
        svg .lane{font-size:11px;font-weight:600}\
        svg .tick{font-size:10px;fill:#44515f}\
        svg .seq{font-size:9px;fill:#2b333c}\
        .keys{display:grid;grid-template-columns:3fr 2fr;gap:10px}\
        .keys h3{margin-top:2px}\
        .proofs summary{cursor:pointer;color:#1d4f91;margin-top:4px}\
        pre.proof{font-size:9px}\
        pre.spec{font-size:9.5px}\
        @page{size:A4;margin:11mm 11mm 12mm}\
        @media print{html{background:#fff}body{font-size:8.5pt}\
        main{max-width:none;margin:0;padding:0;box-shadow:none}\
        table{font-size:7.5pt}code,pre{font-size:7.5pt}.sha{font-size:8.5pt}\
        h2{font-size:11pt;break-after:avoid}h3{font-size:9.5pt;break-after:avoid}\
        tr,svg,dl,pre{break-inside:avoid}pre.proof{font-size:6.5pt}}
        """
}
