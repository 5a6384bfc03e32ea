import Foundation
import TestSupport
import Testing

/// `export --format xlsx` writes a workbook that openpyxl and LibreOffice open with the same
/// figures as the CSV export, and that imports back.
@Suite(.enabled(if: OfficeTools.available, "python3 with openpyxl or LibreOffice is missing: workbook export tests skipped"))
struct XLSXExportTests {
    let dir = TemporaryDirectory()

    @Test func workbookOpensInOpenpyxlAndLibreOfficeAndImportsBack() throws {
        let bin = try #require(BuiltProducts.nutcracker)
        let store = dir.path("s.sqlite")
        let csv = try dir.write("in.csv", "meter_id,start,kwh\nM1,2024-03-01T00:00:00Z,0.5\nM1,2024-03-01T00:30:00Z,1.25\nM2,2024-03-01T00:00:00Z,2\nM2,2024-03-01T00:30:00Z,-1\n")
        #expect(try BuiltProducts.run(bin, ["import", csv, "--store", store]).status == 0)
        let book = dir.path("out.xlsx")
        let export = try BuiltProducts.run(bin, ["export", "--store", store, "--format", "xlsx", "--output", book])
        try #require(export.status == 0, "\(export.err)")
        // openpyxl: the readings sheet and the quality sheet.
        let py = """
            import openpyxl, sys
            wb = openpyxl.load_workbook(sys.argv[1])
            rows = list(wb["readings"].iter_rows(min_row=2, values_only=True))
            print(len(rows), round(sum(r[4] for r in rows), 6), rows[0][1].isoformat())
            q = {r[0]: r for r in wb["quality"].iter_rows(min_row=2, values_only=True)}
            print(q["M2"][1], q["M2"][9], q["M2"][10])
            """
        let r = try BuiltProducts.run("/usr/bin/env", ["python3", "-c", py, book])
        try #require(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n")
        #expect(lines[0] == "3 3.75 2024-03-01T00:00:00")
        #expect(lines[1] == "1 1 negative_check/negative: 1" || lines[1].hasPrefix("1 1 "))
        // LibreOffice converts it to CSV with the same values.
        let lo = try OfficeTools.convert(book, to: "csv", outdir: dir.url.path)
        try #require(lo.status == 0, "\(lo.err)")
        let text = try String(contentsOfFile: dir.path("out.csv"), encoding: .utf8)
        #expect(text.contains("M1,2024-03-01 00:30") && text.contains("2024-03-01T00:30:00Z,30,1.25,actual"))
        // And the workbook imports back as the long layout from its first sheet.
        let again = try BuiltProducts.run(bin, ["import", book, "--store", dir.path("t.sqlite"), "--json", "--time-column", "start_utc"])
        try #require(again.status == 0, "\(again.err)")
        let s = try #require(try JSONSerialization.jsonObject(with: Data(again.out.utf8)) as? [String: Any])
        #expect(s["stored"] as? Int == 3)
    }
}
