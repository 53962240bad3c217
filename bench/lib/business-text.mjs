// Generated Japanese/English business text for the benchmark workloads (bench/workloads.mjs), in the
// encodings Japanese offices use.
import Encoding from 'encoding-japanese';
import { TextDecoder } from 'node:util';
import { rng } from './prng.mjs';

// ---------------------------------------------------------------------------------------------
// Generated text (JIS X 0208 characters only, so that Shift_JIS, EUC-JP and ISO-2022-JP all hold it)

const PEOPLE = ['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村', '小林', '加藤', '吉田', '山田', '佐々木', '山口', '松本', '井上', '木村', '林', '清水', '斎藤'];
const COMPANIES = ['株式会社みらい商事', '東都システム株式会社', '北斗精機株式会社', '有限会社さくら印刷', '株式会社青葉ロジスティクス', 'Nippon Data Works 株式会社', '株式会社ひかり総研', '大和テクノサービス株式会社', 'Globex Japan 合同会社', '株式会社港北建材'];
const DEPTS = ['営業部', '総務部', '経理部', '開発部', '品質保証部', '人事部', '情報システム部', '購買部', '製造部', 'マーケティング部'];
const PRODUCTS = ['業務用ノートPC', '液晶モニター 27型', '複合機リース', 'クラウドストレージ 1TB', '保守サポート年間契約', '検索サーバー構築', 'OCR 読取オプション', 'データ移行作業', 'ネットワーク機器一式', 'セキュリティ診断', 'LED 照明器具', 'オフィスチェア', '会議用テーブル', 'プロジェクター', 'ライセンス追加'];
const PRODUCTS_EN = ['laptop', '27-inch monitor', 'MFP lease', 'cloud storage', 'annual support', 'search server setup', 'OCR option', 'data migration', 'network kit', 'security audit'];
const PROJECTS = ['基幹システム刷新', '文書検索基盤', '倉庫管理改善', '新人研修', '年度予算策定', 'ウェブサイト改修', '顧客満足度調査', 'コスト削減施策', 'Project Aurora', 'Project Sakura'];
const TOPICS = ['進捗確認', '予算の見直し', 'スケジュール調整', '課題の共有', '次期フェーズの計画', 'リスク対応', '品質基準の確認', '見積内容の精査', '納期の再確認', '体制変更について'];
const ROOMS = ['本社 第1会議室', '本社 第2会議室', '大阪支社 会議室A', 'オンライン (Teams)', '名古屋営業所 応接室'];
const SENTENCES_JA = [
  '{project}の進捗は計画比{pct}%で、{dept}から追加の説明があった。',
  '{person}さんより、{product}の納期が{n}日遅れる見込みとの報告があった。',
  '{company}への提案書は来週中に{person}さんが作成する。',
  '検索結果に表示されない文書があるため、{dept}で原因を調査する。',
  '{date}までに{product}の見積を再取得し、価格を比較すること。',
  '前回の議事録の内容について、特に異論はなかった。',
  '障害発生時の連絡手順を見直し、{dept}と共有する。',
  '{product}の単価は{n}円で合意した。',
  'スキャンした請求書の文字認識精度について、{person}さんから改善要望があった。',
  '会議資料は共有フォルダの「{project}」に保存してある。',
  'キューに滞留しているメッセージは{n}件で、増加傾向にはない。',
  '{person}さんが{dept}に異動するため、担当業務を引き継ぐ。',
  '月次の処理件数は{n}件で、前月比{pct}%増となった。',
  '全角と半角の表記ゆれ（ＡＢＣとABC、１２３と123）を統一する方針とした。',
  'カタカナ語の長音（サーバー／サーバ）の扱いは引き続き検討する。',
  '次回の定例会は{date}の午後に開催する予定である。',
  '顧客からの問い合わせ{n}件のうち、大半は操作方法に関するものだった。',
  '契約更新に伴い、{company}と条件の再交渉を行う。',
  '※ 本件は社外秘とし、関係者以外への共有は控えること。',
  '{dept}の残業時間は前月より{pct}%減少した。',
  '電子帳簿保存法への対応として、請求書の保管方法を変更する。',
  '東京・大阪・名古屋の各拠点で同じ手順を適用する。',
];
const SENTENCES_EN = [
  'Action item: {person}-san to follow up with {company} by {date}.',
  'The {project} milestone is {pct}% complete; no blockers reported.',
  'Unit price for the {product_en} agreed at JPY {n}.',
  'Please review the attached estimate and reply by {date}.',
  'Throughput improved to {n} messages per minute after the batch size change.',
  'Risk: OCR accuracy on low-resolution scans is still below target.',
  'Decision: keep the current vendor for another fiscal year.',
  'Next meeting: {date}, 14:00, conference room B.',
  'The {dept} team will share the updated schedule with {company}.',
];

function fill(r, template) {
  return template.replace(/\{(\w+)\}/g, (_, key) => {
    switch (key) {
      case 'person':
        return r.pick(PEOPLE);
      case 'company':
        return r.pick(COMPANIES);
      case 'dept':
        return r.pick(DEPTS);
      case 'product':
        return r.pick(PRODUCTS);
      case 'product_en':
        return r.pick(PRODUCTS_EN);
      case 'project':
        return r.pick(PROJECTS);
      case 'n':
        return String(r.int(2, 9999));
      case 'pct':
        return String(r.int(1, 99));
      case 'date':
        return dateText(r);
      default:
        return key;
    }
  });
}

function dateText(r, iso = r.chance(0.3)) {
  const [y, m, d] = [r.int(2025, 2026), r.int(1, 12), r.int(1, 28)];
  return iso ? `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` : `${y}年${m}月${d}日`;
}

const yen = (n) => n.toLocaleString('en-US');

/** Text document kinds: a file-name stem, fixed header lines (the token among them), and a filler line source. */
export const TEXT_KINDS = [
  {
    stems: ['議事録', 'meeting notes'],
    header: (r, token) => {
      const dept = r.pick(DEPTS);
      const attendees = r.shuffle(PEOPLE).slice(0, r.int(2, 6));
      const start = r.int(9, 17);
      return [
        `${dept} 定例会議 議事録`,
        `管理番号: ${token}`,
        `日時: ${dateText(r, false)} ${start}:00-${start + r.int(0, 1)}:${r.pick(['30', '45'])}`,
        `場所: ${r.pick(ROOMS)}`,
        `出席者: ${attendees.join('、')}（敬称略）`,
        '',
        '■ 議題',
        ...r.shuffle(TOPICS).slice(0, r.int(1, 4)).map((t, i) => `${i + 1}. ${t}`),
        '',
        '■ 内容',
      ];
    },
    line: (r) => `・${fill(r, r.chance(0.8) ? r.pick(SENTENCES_JA) : r.pick(SENTENCES_EN))}`,
  },
  {
    stems: ['見積書', 'estimate'],
    header: (r, token) => {
      const lines = [`御見積書 (Estimate)`, `見積番号: ${token}`, `${r.pick(COMPANIES)} 御中`, `発行日: ${dateText(r)}`, `件名: ${r.pick(PROJECTS)}に関する御見積`, '', '品名\t数量\t単価\t金額'];
      let subtotal = 0;
      for (let i = r.int(1, 12); i > 0; i -= 1) {
        const [qty, price] = [r.int(1, 50), r.int(1, 400) * 500];
        subtotal += qty * price;
        lines.push(`${r.pick(PRODUCTS)}\t${qty}\t${yen(price)}\t${yen(qty * price)}`);
      }
      const tax = Math.floor(subtotal / 10);
      lines.push('', `小計: ${yen(subtotal)} 円`, `消費税 (10%): ${yen(tax)} 円`, `合計: ${yen(subtotal + tax)} 円`, `有効期限: 発行日より30日`, '', '備考:');
      return lines;
    },
    line: (r) => fill(r, r.pick(SENTENCES_JA)),
  },
  {
    stems: ['日報', 'daily report'],
    header: (r, token) => [`業務日報 ${dateText(r, false)}`, `氏名: ${r.pick(PEOPLE)} (${r.pick(DEPTS)})`, `報告ID: ${token}`, '', '【本日の業務】'],
    line: (r) => (r.chance(0.15) ? `【所感】${fill(r, r.pick(SENTENCES_JA))}` : `- ${fill(r, r.pick(SENTENCES_JA))}`),
  },
  {
    stems: ['status report', '進捗報告'],
    header: (r, token) => [`Weekly status report / 週次進捗報告: ${r.pick(PROJECTS)}`, `Ref: ${token}`, `Owner: ${r.pick(PEOPLE)}-san, ${r.pick(DEPTS)}`, `Week of ${dateText(r, true)}`, ''],
    line: (r) => fill(r, r.chance(0.6) ? r.pick(SENTENCES_EN) : r.pick(SENTENCES_JA)),
  },
  {
    stems: ['社内連絡', 'お知らせ'],
    header: (r, token) => [`【社内連絡】${r.pick(TOPICS)}のお知らせ`, `文書番号: ${token}`, `発信: ${r.pick(DEPTS)} ${r.pick(PEOPLE)}`, `宛先: 各位`, '', '関係各位', '', 'お疲れさまです。以下のとおりお知らせします。', ''],
    line: (r) => fill(r, r.pick(SENTENCES_JA)),
  },
];

export const CSV_KINDS = [
  {
    stems: ['売上明細', 'sales'],
    header: (r, token) => ['伝票番号,日付,顧客名,商品名,数量,単価,金額,担当者,備考', `${token},${dateText(r, true)},${r.pick(COMPANIES)},${r.pick(PRODUCTS)},1,1000,1000,${r.pick(PEOPLE)},"管理用の行"`],
    line: (r) => {
      const [qty, price] = [r.int(1, 99), r.int(1, 200) * 100];
      return `S-${r.int(100000, 999999)},${dateText(r, true)},${r.pick(COMPANIES)},${r.pick(PRODUCTS)},${qty},${price},${qty * price},${r.pick(PEOPLE)},"${fill(r, r.pick(SENTENCES_JA))}"`;
    },
  },
  {
    stems: ['顧客リスト', 'customers'],
    header: (_r, token) => ['顧客ID,会社名,部署,担当者,電話番号,メモ', `${token},${COMPANIES[0]},${DEPTS[0]},${PEOPLE[0]},03-0000-0000,"管理用の行"`],
    line: (r) => `C-${r.int(10000, 99999)},${r.pick(COMPANIES)},${r.pick(DEPTS)},${r.pick(PEOPLE)},0${r.int(3, 9)}-${r.int(1000, 9999)}-${r.int(1000, 9999)},"${fill(r, r.pick(SENTENCES_JA))}"`,
  },
];

export const ENCODERS = {
  'utf-8': { to: null, bom: false, decoder: 'utf-8' },
  'utf-8-bom': { to: null, bom: true, decoder: 'utf-8' },
  shift_jis: { to: 'SJIS', decoder: 'shift_jis' },
  'euc-jp': { to: 'EUCJP', decoder: 'euc-jp' },
  'iso-2022-jp': { to: 'JIS', decoder: 'iso-2022-jp' },
};
/** Encodings of generated .txt files, cycled in this order (so even a small workload has each one). */
export const TXT_ENCODING_CYCLE = ['utf-8', 'shift_jis', 'utf-8', 'euc-jp', 'utf-8', 'utf-8', 'iso-2022-jp', 'utf-8', 'shift_jis', 'utf-8-bom', 'utf-8', 'utf-8', 'euc-jp', 'utf-8', 'shift_jis', 'utf-8', 'utf-8', 'utf-8', 'iso-2022-jp', 'utf-8'];
/** CSVs as Japanese offices have them: mostly Excel's Shift_JIS with CRLF. */
export const CSV_ENCODING_CYCLE = ['shift_jis', 'utf-8-bom', 'shift_jis', 'utf-8', 'shift_jis'];

function encodeLine(line, encoding) {
  const { to } = ENCODERS[encoding];
  if (to === null) return Buffer.from(line, 'utf8');
  // Each line is encoded on its own: ISO-2022-JP output returns to ASCII before the line end, so
  // the concatenation is valid and each line's size is exact.
  return Buffer.from(Encoding.convert(Encoding.stringToCode(line), { to, from: 'UNICODE' }));
}

let vocabularyChecked = false;
/** Every character the generator can emit must survive each legacy encoding (no '?' substitutions). */
export function checkVocabulary() {
  if (vocabularyChecked) return;
  const all = [PEOPLE, COMPANIES, DEPTS, PRODUCTS, PRODUCTS_EN, PROJECTS, TOPICS, ROOMS, SENTENCES_JA, SENTENCES_EN].flat().join('\n');
  const kindText = [...TEXT_KINDS, ...CSV_KINDS].map((k) => `${k.stems.join('')}${k.header(rng('vocab'), 'tok-0').join('\n')}`).join('\n');
  const text = `${all}\n${kindText}\n（）「」【】■・※、。／0123456789年月日`;
  for (const encoding of ['shift_jis', 'euc-jp', 'iso-2022-jp']) {
    const back = new TextDecoder(ENCODERS[encoding].decoder, { fatal: true }).decode(encodeLine(text, encoding));
    if (back !== text) throw new Error(`bench workloads: the generator's vocabulary does not round-trip through ${encoding}`);
  }
  vocabularyChecked = true;
}

const MIN_TEXT_BYTES = 200;
const MAX_TEXT_BYTES = 8192;

/** One generated document: header + filler lines up to a target size in [200 B, 8 KB] in its own encoding. */
export function generateDocument(kinds, workload, seed, index, token, encoding) {
  const r = rng(workload, seed, index, 'content');
  const kind = r.pick(kinds);
  const stem = r.pick(kind.stems);
  // Log-uniform target: many small files, some up to 8 KB (median about 1.3 KB).
  const target = Math.round(Math.exp(Math.log(MIN_TEXT_BYTES) + r.next() * (Math.log(8000) - Math.log(MIN_TEXT_BYTES))));
  const eol = encoding === 'shift_jis' ? '\r\n' : '\n';
  const parts = [];
  let size = ENCODERS[encoding].bom ? 3 : 0;
  const add = (line) => {
    const bytes = encodeLine(line + eol, encoding);
    if (size + bytes.length > MAX_TEXT_BYTES) return false;
    parts.push(bytes);
    size += bytes.length;
    return true;
  };
  for (const line of kind.header(r, token)) add(line);
  while (size < Math.max(target, MIN_TEXT_BYTES) && add(kind.line(r)));
  if (ENCODERS[encoding].bom) parts.unshift(Buffer.from([0xef, 0xbb, 0xbf]));
  return { stem, content: Buffer.concat(parts, size) };
}
