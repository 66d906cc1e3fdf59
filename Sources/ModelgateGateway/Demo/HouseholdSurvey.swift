import Foundation
import ModelgateCore

/// A deterministic synthetic household survey with the columns and value formats of
/// `bench/gen_household.py`: ids like `P000000123`, 38 districts of skewed size (two of
/// them deliberately tiny, so that small cells appear), and income, insurance and hospital
/// visits that depend on the other columns, so that regressions find real effects.
package enum HouseholdSurvey {
    package static let districts = [
        "Yuzhong", "Dadukou", "Jiangbei", "Shapingba", "Jiulongpo", "Nanan", "Beibei", "Yubei", "Banan",
        "Wanzhou", "Fuling", "Qianjiang", "Changshou", "Jiangjin", "Hechuan", "Yongchuan", "Nanchuan", "Qijiang",
        "Dazu", "Bishan", "Tongliang", "Tongnan", "Rongchang", "Kaizhou", "Liangping", "Wulong", "Chengkou", "Fengdu",
        "Dianjiang", "Zhongxian", "Yunyang", "Fengjie", "Wushan", "Wuxi", "Shizhu", "Xiushan", "Youyang", "Pengshui",
    ]
    static let education = ["primary", "junior", "senior", "college", "postgraduate"]
    static let sectors = [
        "agriculture", "manufacturing", "construction", "retail", "transport", "it", "finance", "education", "health",
        "public",
    ]
    package static let header =
        "person_id,district,sex,age,education,sector,household_size,income,insured,hospital_visits"

    /// Writes `rows` rows to `url` as CSV.
    package static func write(rows: Int, to url: URL, seed: UInt64 = 20_200_911) throws {
        var random = SplitMix64(seed: seed)
        var weights = districts.indices.map { _ in random.gamma(1.2) }
        weights[26] *= 0.02
        weights[33] *= 0.02
        let total = weights.reduce(0, +)
        var cumulative: [Double] = []
        var running = 0.0
        for weight in weights {
            running += weight / total
            cumulative.append(running)
        }
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ModelgateError("demo_failed", "cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var text = header + "\n"
        for row in 0..<rows {
            let u = random.uniform()
            let district = cumulative.firstIndex { u < $0 } ?? districts.count - 1
            let sex = Int(random.next() % 2)
            let age = 16 + Int(random.next() % 75)
            let edu = min(4, random.poisson(1.3 + (age < 40 ? 0.6 : 0)))
            let sector = Int(random.next() % UInt64(sectors.count))
            let household = min(8, max(1, random.poisson(2.2) + 1))
            let districtEffect = 0.35 - 0.6 * Double(district) / Double(districts.count - 1)
            let logIncome =
                10.2 + 0.18 * Double(edu) + 0.012 * Double(min(age, 60)) - 0.004 * Double(max(age - 60, 0))
                + districtEffect + 0.08 * Double(sex) + 0.45 * random.normal()
            let cents = Int((exp(logIncome) * 100).rounded())
            let p = 1 / (1 + exp(-(-3.0 + 0.3 * (logIncome - 10) + 0.03 * Double(age) - 0.1 * Double(household))))
            let insured = random.uniform() < p ? 1 : 0
            let visits = random.poisson(0.5 + 0.03 * Double(max(age - 40, 0)))
            let id = String(row)
            text += "P" + String(repeating: "0", count: max(0, 9 - id.count)) + id
            text += ",\(districts[district]),\(sex == 0 ? "F" : "M"),\(age),\(education[edu]),\(sectors[sector])"
            text += ",\(household),\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100),\(insured),\(visits)\n"
            if text.utf8.count > 1 << 20 {
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
    }
}
