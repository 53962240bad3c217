#!/usr/bin/env node
// Deterministic benchmark workloads: `node bench/workloads.mjs <name> <dir> [--count n] [--seed s] [--corpus dir]`.
// Builds a folder of files to index from the shared public corpus (FILESEARCH_CORPUS, else ../shared/corpus,
// as bench/extract.mjs resolves it) plus generated Japanese/English business text. Corpus files are only ever
// copied into the output folder given at run time, never into this repository (such a folder is refused).
//
//   text-heavy (default 5,000)  60 % .txt (55 % generated: UTF-8, UTF-8+BOM, Shift_JIS, EUC-JP, ISO-2022-JP;
//                               5 % copies of corpus text/), 25 % small text PDFs (< 200 KB), 15 % Office
//   ocr-heavy  (default 12)     corpus images/ + pdf-scanned/, round-robin; the first 10 cover every source
//   mixed      (default 600)    45 % text PDFs (all sizes), 30 % Office, 15 % text/CSV, 10 % scans and images
//
// Same name + count + seed + corpus content → byte-identical files. `<dir>/workload.json` records the
// parameters, a fingerprint and the file list; a second call with the same parameters reuses the folder
// without writing anything. Only a folder that is empty or holds one of our workload.json files is ever wiped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, TextDecoder } from 'node:util';
import Encoding from 'encoding-japanese';

const GENERATOR = 'filesearch-worker bench/workloads.mjs';
/** Bump when the generated content or the layout changes: it invalidates every existing workload folder. */
const GENERATOR_VERSION = 1;
const MANIFEST_NAME = 'workload.json';
const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const CONCURRENCY = 16;
const MAX_COUNT = 1_000_000;
/** "Small" text PDFs for text-heavy: below this many bytes (drops pdfjs_issue8570 and tracemonkey). */
const SMALL_PDF_BYTES = 200_000;

export const DEFAULT_COUNTS = Object.freeze({ 'text-heavy': 5000, 'ocr-heavy': 12, mixed: 600 });
export const CATEGORIES = Object.freeze(['text', 'pdf-text', 'office', 'scan', 'image']);

// ---------------------------------------------------------------------------------------------
// Corpus

/**
 * The corpus folder (one with MANIFEST.tsv): `explicit`, else FILESEARCH_CORPUS, else ../shared/corpus
 * next to the repo, else /work/shared/corpus. An explicit folder or FILESEARCH_CORPUS that is not a
 * corpus is an error (never silently replaced by another corpus); so is finding none.
 */
export function corpusDir(explicit) {
  const isCorpus = (dir) => fs.existsSync(path.join(dir, 'MANIFEST.tsv'));
  for (const [what, dir] of [
    ['the corpus option', explicit],
    ['FILESEARCH_CORPUS', process.env.FILESEARCH_CORPUS],
  ]) {
    if (dir === undefined || dir === '') continue;
    if (!isCorpus(dir)) throw new Error(`bench workloads: ${what} is ${dir}, which has no MANIFEST.tsv (not a corpus folder)`);
    return path.resolve(dir);
  }
  const found = [path.resolve(REPO_ROOT, '..', 'shared', 'corpus'), '/work/shared/corpus'].find(isCorpus);
  if (found === undefined) {
    throw new Error(
      'bench workloads: no corpus found (a folder with MANIFEST.tsv); set FILESEARCH_CORPUS or pass { corpus } / --corpus <dir>',
    );
  }
  return found;
}

/** The manifest's usable entries (never broken/), checked against the files on disk, with their real size and hash. */
function loadCorpus(dir) {
  const lines = fs.readFileSync(path.join(dir, 'MANIFEST.tsv'), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split('\t');
  const col = (name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`bench workloads: ${dir}/MANIFEST.tsv has no "${name}" column`);
    return i;
  };
  const [iPath, iNotes] = [col('path'), col('notes')];
  const entries = [];
  const missing = [];
  for (const line of lines) {
    const cells = line.split('\t');
    const rel = cells[iPath] ?? '';
    const folder = rel.split('/')[0];
    if (!['text', 'pdf-text', 'pdf-scanned', 'images', 'office'].includes(folder)) continue;
    const abs = path.join(dir, rel);
    if (!fs.existsSync(abs)) {
      missing.push(rel);
      continue;
    }
    const content = fs.readFileSync(abs);
    entries.push({
      path: rel,
      folder,
      abs,
      bytes: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
      stretch: /\bSTRETCH\b/.test(cells[iNotes] ?? ''),
    });
  }
  if (missing.length > 0) throw new Error(`bench workloads: corpus ${dir} is incomplete, missing: ${missing.join(', ')}`);
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return entries;
}

function pools(entries) {
  const byFolder = (folder, keep = () => true) => entries.filter((e) => e.folder === folder && keep(e));
  const p = {
    // The UTF-16BE-without-BOM file is a STRETCH case outside the declared encodings: not in workloads.
    text: byFolder('text', (e) => !e.stretch),
    pdfSmall: byFolder('pdf-text', (e) => e.bytes < SMALL_PDF_BYTES),
    pdfAll: byFolder('pdf-text'),
    office: byFolder('office', (e) => /\.(docx|xlsx|pptx)$/i.test(e.path)),
    // Everything OCR needs, the handwritten STRETCH image included (a realistic hard case).
    scans: byFolder('pdf-scanned'),
    images: byFolder('images'),
  };
  for (const [name, list] of Object.entries(p)) {
    if (list.length === 0) throw new Error(`bench workloads: the corpus has no files for "${name}"`);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string: turns (workload, seed, index, purpose) into an independent PRNG seed. */
function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function rng(...parts) {
  const next = mulberry32(hash32(parts.join('\u0000')));
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    shuffle: (list) => {
      const out = [...list];
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  };
  return r;
}

/** Splits `count` over `shares` (name → fraction) by largest remainder: exact, and summing to count. */
function apportion(count, shares) {
  const names = Object.keys(shares);
  const total = names.reduce((s, n) => s + shares[n], 0);
  const raw = names.map((n) => (count * shares[n]) / total);
  const out = Object.fromEntries(names.map((n, i) => [n, Math.floor(raw[i])]));
  let left = count - names.reduce((s, n) => s + out[n], 0);
  const order = names.map((n, i) => [n, raw[i] - Math.floor(raw[i]), i]).sort((a, b) => b[1] - a[1] || a[2] - b[2]);
  for (const [n] of order) {
    if (left <= 0) break;
    out[n] += 1;
    left -= 1;
  }
  return out;
}

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
const TEXT_KINDS = [
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

const CSV_KINDS = [
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

const ENCODERS = {
  'utf-8': { to: null, bom: false, decoder: 'utf-8' },
  'utf-8-bom': { to: null, bom: true, decoder: 'utf-8' },
  shift_jis: { to: 'SJIS', decoder: 'shift_jis' },
  'euc-jp': { to: 'EUCJP', decoder: 'euc-jp' },
  'iso-2022-jp': { to: 'JIS', decoder: 'iso-2022-jp' },
};
/** Encodings of generated .txt files, cycled in this order (so even a small workload has each one). */
const TXT_ENCODING_CYCLE = ['utf-8', 'shift_jis', 'utf-8', 'euc-jp', 'utf-8', 'utf-8', 'iso-2022-jp', 'utf-8', 'shift_jis', 'utf-8-bom', 'utf-8', 'utf-8', 'euc-jp', 'utf-8', 'shift_jis', 'utf-8', 'utf-8', 'utf-8', 'iso-2022-jp', 'utf-8'];
/** CSVs as Japanese offices have them: mostly Excel's Shift_JIS with CRLF. */
const CSV_ENCODING_CYCLE = ['shift_jis', 'utf-8-bom', 'shift_jis', 'utf-8', 'shift_jis'];

function encodeLine(line, encoding) {
  const { to } = ENCODERS[encoding];
  if (to === null) return Buffer.from(line, 'utf8');
  // Each line is encoded on its own: ISO-2022-JP output returns to ASCII before the line end, so
  // the concatenation is valid and each line's size is exact.
  return Buffer.from(Encoding.convert(Encoding.stringToCode(line), { to, from: 'UNICODE' }));
}

let vocabularyChecked = false;
/** Every character the generator can emit must survive each legacy encoding (no '?' substitutions). */
function checkVocabulary() {
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
function generateDocument(kinds, workload, seed, index, token, encoding) {
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

// ---------------------------------------------------------------------------------------------
// Layout

/** ~20 folders, some Japanese, some with spaces, some nested. */
const FOLDERS = ['議事録 2026', '議事録 2025', '見積書', '請求書/2026年度', '営業部/顧客資料', '営業部/提案書', '経理', '総務部/お知らせ', '人事 評価', '技術資料/設計書', '技術資料/manuals', 'projects/alpha', 'projects/文書検索', 'reports 2025', 'minutes', 'スキャン', 'shared docs', '社内報', 'archive/old files', 'misc'];
const OCR_FOLDERS = ['スキャン/2026 受領分', 'スキャン/契約書', '画像 資料', 'scans/inbox'];
/** Copies get a realistic prefix now and then (Windows "コピー - ", confidentiality marks). */
const COPY_PREFIXES = ['', '', '', '', '【社外秘】', 'コピー - ', '最新版_', '送付用 '];

const CATEGORY_OF_FOLDER = { text: 'text', 'pdf-text': 'pdf-text', office: 'office', 'pdf-scanned': 'scan', images: 'image' };

/**
 * Slot kinds per workload and their shares of the file count.
 * The "mixed" shares: the seeds (../shared/seeds/, the user's documents) and ../shared/SPEC.md name the
 * formats (text PDFs, scans, images, Office, text in many encodings) but state no share of each anywhere,
 * so these are the brief's stated fallback: 45 % text PDFs, 30 % Office, 15 % text/CSV, 10 % scans and images.
 */
const PLANS = {
  'text-heavy': { 'gen-txt': 0.55, 'copy-text': 0.05, 'copy-pdf-small': 0.25, 'copy-office': 0.15 },
  'ocr-heavy': { 'copy-ocr': 1 },
  mixed: { 'copy-pdf-all': 0.45, 'copy-office': 0.3, 'gen-txt': 0.06, 'gen-csv': 0.06, 'copy-text': 0.03, 'copy-ocr': 0.1 },
};

function plan(name, count, seed, p) {
  const counts = apportion(count, PLANS[name]);
  const slotRng = rng(name, seed, 'slots');
  // ocr-heavy keeps its list in round-robin order; the others interleave their kinds.
  const kinds = Object.entries(counts).flatMap(([kind, n]) => Array.from({ length: n }, () => kind));
  const slots = name === 'ocr-heavy' ? kinds : slotRng.shuffle(kinds);
  // The sources of each copy kind, in a seeded order, used round-robin: the first n copies of a kind
  // cover all n sources before any repeats. For ocr-heavy, images and scans alternate.
  const interleave = (a, b) => Array.from({ length: Math.max(a.length, b.length) }, (_, i) => [a[i], b[i]]).flat().filter(Boolean);
  const sources = {
    'copy-text': slotRng.shuffle(p.text),
    'copy-pdf-small': slotRng.shuffle(p.pdfSmall),
    'copy-pdf-all': slotRng.shuffle(p.pdfAll),
    'copy-office': slotRng.shuffle(p.office),
    'copy-ocr': interleave(slotRng.shuffle(p.images), slotRng.shuffle(p.scans)),
  };
  const used = {};
  const width = Math.max(6, String(count).length);
  return slots.map((kind, index) => {
    const n = String(index + 1).padStart(width, '0');
    const r = rng(name, seed, index, 'layout');
    const folder = name === 'ocr-heavy' ? r.pick(OCR_FOLDERS) : r.pick(FOLDERS);
    if (kind === 'gen-txt' || kind === 'gen-csv') {
      const k = (used[kind] = (used[kind] ?? 0) + 1) - 1;
      const encoding = kind === 'gen-txt' ? TXT_ENCODING_CYCLE[k % TXT_ENCODING_CYCLE.length] : CSV_ENCODING_CYCLE[k % CSV_ENCODING_CYCLE.length];
      return { kind, index, folder, n, token: `tok-${n}`, encoding, ext: kind === 'gen-txt' ? 'txt' : 'csv' };
    }
    const list = sources[kind];
    const k = (used[kind] = (used[kind] ?? 0) + 1) - 1;
    const source = list[k % list.length];
    const base = path.posix.basename(source.path);
    const ext = path.posix.extname(base);
    const relPath = `${folder}/${r.pick(COPY_PREFIXES)}${base.slice(0, -ext.length)}_${n}${ext}`;
    return { kind, index, path: relPath, category: CATEGORY_OF_FOLDER[source.folder], source };
  });
}

/** Writes one planned file; returns its entry for workload.json. */
async function materialise(name, seed, dir, slot) {
  if (slot.source !== undefined) {
    await fs.promises.copyFile(slot.source.abs, path.join(dir, slot.path));
    return { path: slot.path, category: slot.category, bytes: slot.source.bytes, source: slot.source.path };
  }
  const kinds = slot.kind === 'gen-csv' ? CSV_KINDS : TEXT_KINDS;
  const { stem, content } = generateDocument(kinds, name, seed, slot.index, slot.token, slot.encoding);
  const rel = `${slot.folder}/${stem}_${slot.n}.${slot.ext}`;
  if (slot.encoding !== 'utf-8' && slot.encoding !== 'utf-8-bom') {
    // Cheap guard (native decoder): what we wrote is valid in the encoding we claim.
    new TextDecoder(ENCODERS[slot.encoding].decoder, { fatal: true }).decode(content);
  }
  await fs.promises.writeFile(path.join(dir, rel), content);
  return { path: rel, category: 'text', bytes: content.length, encoding: slot.encoding, token: slot.token };
}

async function runLimited(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// The output folder

function isInside(child, parent) {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `dir`, resolving its nearest existing ancestor (dir itself may not exist yet). */
function realish(dir) {
  let existing = dir;
  const rest = [];
  while (!fs.existsSync(existing)) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  return path.join(fs.realpathSync(existing), ...rest);
}

function readOurManifest(dir) {
  const file = path.join(dir, MANIFEST_NAME);
  if (!fs.existsSync(file)) return undefined;
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    return json !== null && typeof json === 'object' && json.generator === GENERATOR ? json : null;
  } catch {
    return null;
  }
}

async function stillIntact(dir, manifest) {
  const ok = await runLimited(manifest.files, 64, async (f) => {
    try {
      return (await fs.promises.stat(path.join(dir, f.path))).size === f.bytes;
    } catch {
      return false;
    }
  });
  return ok.every(Boolean);
}

function summary(manifest, dir, reused) {
  return { name: manifest.name, dir, files: manifest.files, bytes: manifest.bytes, byCategory: manifest.byCategory, count: manifest.count, seed: manifest.seed, fingerprint: manifest.fingerprint, reused };
}

/**
 * Builds (or reuses, when `<dir>/workload.json` matches the same name + count + seed + corpus fingerprint)
 * a workload into `dir`. Returns { name, dir, files: [{ path, category, bytes, source?, encoding?, token? }],
 * bytes, byCategory, count, seed, fingerprint, reused }.
 */
export async function buildWorkload(name, dir, { count, seed = 1, corpus } = {}) {
  if (!Object.hasOwn(DEFAULT_COUNTS, name)) throw new Error(`bench workloads: unknown workload "${name}" (one of ${Object.keys(DEFAULT_COUNTS).join(', ')})`);
  const n = count ?? DEFAULT_COUNTS[name];
  if (!Number.isInteger(n) || n < 1 || n > MAX_COUNT) throw new Error(`bench workloads: count must be an integer from 1 to ${MAX_COUNT}, got ${count}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`bench workloads: seed must be an integer from 0 to 2^32-1, got ${seed}`);
  if (typeof dir !== 'string' || dir === '') throw new Error('bench workloads: an output folder is required');
  const corpusPath = corpusDir(corpus);
  const out = realish(path.resolve(dir));
  if (isInside(out, realish(REPO_ROOT)) || isInside(realish(REPO_ROOT), out)) {
    throw new Error(`bench workloads: refusing to build into ${out}: corpus files must never be copied into the repository; pick a folder outside it (e.g. under /tmp)`);
  }
  if (isInside(out, fs.realpathSync(corpusPath)) || isInside(fs.realpathSync(corpusPath), out)) {
    throw new Error(`bench workloads: refusing to build into ${out}: it overlaps the corpus`);
  }

  const entries = loadCorpus(corpusPath);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ generator: GENERATOR, version: GENERATOR_VERSION, name, count: n, seed, corpus: entries.map((e) => [e.path, e.sha256]) }))
    .digest('hex');

  const existing = fs.existsSync(out) ? readOurManifest(out) : undefined;
  if (existing === null) throw new Error(`bench workloads: ${out}/${MANIFEST_NAME} is not one of ours; refusing to touch that folder`);
  if (existing !== undefined) {
    if (existing.status === 'complete' && existing.fingerprint === fingerprint && existing.name === name && existing.count === n && existing.seed === seed && (await stillIntact(out, existing))) {
      return summary(existing, out, true);
    }
    // Ours, but other parameters (or an interrupted / damaged build): wipe its contents.
    for (const entry of fs.readdirSync(out)) fs.rmSync(path.join(out, entry), { recursive: true, force: true });
  } else if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new Error(`bench workloads: ${out} exists and is not a folder`);
    if (fs.readdirSync(out).length > 0) throw new Error(`bench workloads: ${out} is not empty and has no ${MANIFEST_NAME}; refusing to wipe a folder that is not a workload`);
  }
  fs.mkdirSync(out, { recursive: true });

  const base = { generator: GENERATOR, version: GENERATOR_VERSION, name, count: n, seed, fingerprint, corpus: corpusPath };
  // Mark the folder as ours before writing anything, so an interrupted build can be wiped next time.
  fs.writeFileSync(path.join(out, MANIFEST_NAME), `${JSON.stringify({ ...base, status: 'building' }, null, 2)}\n`);
  checkVocabulary();
  const slots = plan(name, n, seed, pools(entries));
  const folders = new Set(slots.map((s) => s.folder ?? path.posix.dirname(s.path)));
  for (const folder of folders) fs.mkdirSync(path.join(out, folder), { recursive: true });
  const files = await runLimited(slots, CONCURRENCY, (slot) => materialise(name, seed, out, slot));

  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0]));
  let bytes = 0;
  for (const f of files) {
    byCategory[f.category] += 1;
    bytes += f.bytes;
  }
  const manifest = { ...base, status: 'complete', bytes, byCategory, files };
  const tmp = path.join(out, `.${MANIFEST_NAME}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
  fs.renameSync(tmp, path.join(out, MANIFEST_NAME));
  return summary(manifest, out, false);
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { count: { type: 'string' }, seed: { type: 'string' }, corpus: { type: 'string' } },
  });
  const [name, dir] = positionals;
  if (name === undefined || dir === undefined || positionals.length > 2) {
    process.stderr.write(`usage: node bench/workloads.mjs <${Object.keys(DEFAULT_COUNTS).join('|')}> <dir> [--count n] [--seed s] [--corpus dir]\n`);
    process.exit(2);
  }
  const num = (v) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : Number.NaN);
  const started = performance.now();
  const w = await buildWorkload(name, dir, { count: num(values.count), seed: num(values.seed) ?? 1, corpus: values.corpus });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const cats = Object.entries(w.byCategory)
    .map(([c, k]) => `${c} ${k}`)
    .join(', ');
  console.log(`${w.name}: ${w.files.length} files, ${(w.bytes / 1e6).toFixed(1)} MB (${cats}) in ${w.dir}, ${w.reused ? 'reused' : 'built'} in ${seconds} s`);
}

if (process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
