// The form in English: each Japanese wording the form shows (web/collect/*, and the shared
// words of web/shared/labels.js it uses), keyed by the Japanese itself, as gettext keys a
// translation by its source text. language.js puts them in place. A wording missing here
// stays Japanese on the English form, which the browser test finds (it reads the whole page
// in English and fails on any Japanese left but the language switch's 日本語).
//
// One `'日本語': 'English',` per line; sentences that carry a value are PATTERNS below.

export const WORDS = new Map(Object.entries({
  // index.html
  'マイナンバーの提出': 'Submit your My Number',
  'このページを使うには JavaScript を有効にしてください。': 'Please turn on JavaScript to use this page.',
  '読み込み': 'Loading',
  '読み込み中です…': 'Loading…',
  '混み合っています。しばらくしてからもう一度お試しください。': 'The service is busy. Please try again in a little while.',
  'もう一度読み込む': 'Load again',
  'リンクが無効です': 'This link does not work',
  'このリンクは使えません（期限切れ・提出済み・取り消し済みなど）。人事担当者に新しいリンクを依頼してください。':
    'This link can no longer be used (it has expired, was already used or was cancelled). Please ask HR for a new link.',
  '提出フォーム': 'Submission form',
  '従業員番号': 'Employee ID',
  '利用目的': 'What your number is used for',
  '提出期限': 'Submit by',
  'マイナンバーは上記の目的にだけ利用します。入力した番号はこの端末には保存されません。':
    'Your My Number is used only for the purposes above. Nothing you enter is stored on this device.',
  'ご本人のマイナンバー': 'Your My Number',
  '提供する': 'I will give it',
  '提供しない': 'I will not give it',
  'マイナンバー（12桁）': 'My Number (12 digits)',
  'ハイフンや空白があってもかまいません。': 'Hyphens and spaces are fine.',
  '番号を確認する書類': 'Document that shows the number',
  '本人であることを確認する書類': 'Document that proves who you are',
  'マイナンバーカードは番号確認と身元確認を兼ねます。': 'The My Number Card proves both the number and who you are.',
  '提供しない理由': 'Why you will not give it',
  '500文字以内。番号は書かないでください。': 'Up to 500 characters. Please do not write any number.',
  '本人確認書類の写真': 'Photos of your documents',
  '写真は人事担当者が確認したあとに削除します（控えは残しません）。写真を送らない場合は、人事担当者に書類を直接確認してもらってください。':
    'HR deletes the photos once they have checked them (no copy is kept). If you do not send photos, please show the documents to HR in person.',
  '文字がはっきり読めるように、明るい場所で書類全体を撮影してください。1枚5MBまで（JPEG・PNG・PDF）。写真はこの端末で縮小してから送ります。選び直すと前の写真と置き換わります。':
    'Take the photo in a bright place, with the whole document in view and the text easy to read. Up to 5 MB each (JPEG, PNG or PDF). Photos are made smaller on this device before they are sent. Choosing again replaces the earlier photo.',
  '配偶者': 'Spouse',
  '配偶者の番号を提出する': "Submit my spouse's number",
  '配偶者のマイナンバー（12桁）': "Spouse's My Number (12 digits)",
  '配偶者は国民年金の第3号被保険者です': 'My spouse is a Category III insured person of the National Pension',
  '扶養親族': 'Dependants',
  '10人まで追加できます。': 'You can add up to 10.',
  '追加': 'Add',
  '確認して提出': 'Check and submit',
  '提出しました': 'Submitted',
  '提出しました。人事担当者が確認します。このページを閉じてください。': 'Submitted. HR will check it. You can close this page.',
  '続柄・呼び名（例：長男）': 'Relationship or name (e.g. eldest son)',
  '削除': 'Remove',
  'PDFファイル（プレビューはありません）': 'PDF file (no preview)',
  'もう一度送る': 'Send again',

  // labels.js: purposes, documents, the number check, field errors
  '源泉徴収票・給与支払報告書・退職所得': 'Withholding tax slips, salary payment reports and retirement income',
  '扶養控除等申告書': 'Declaration for dependants deduction',
  '支払調書': 'Payment records',
  '健康保険・厚生年金': 'Health insurance and employees’ pension',
  '雇用保険': 'Employment insurance',
  '国民年金第3号被保険者の届出': 'National Pension Category III notification',
  '個人番号カード（マイナンバーカード）': 'My Number Card',
  '通知カード': 'Notification Card',
  '住民票の写し（番号付き）': 'Copy of residence record (with the number)',
  '顔写真付きの身分証明書（運転免許証・パスポート・在留カードなど）': "Photo ID (driver's licence, passport, residence card, etc.)",
  '顔写真のない書類2点': 'Two documents without a photo',
  'デジタル認証アプリ（JPKI）': 'Digital Authentication App (JPKI)',
  '選択してください': 'Please choose',
  '形式は正しいです': 'The format is correct',
  '12桁の数字を入力してください': 'Please enter 12 digits',
  '数字だけで入力してください': 'Please enter digits only',
  'チェックデジットが一致しません。番号に誤りがないか確かめてください': 'The check digit does not match. Please check the number for a mistake',
  '入力（選択）してください': 'Please fill this in',
  '長さが正しくありません': 'The length is not right',
  '形式が正しくありません': 'The format is not right',
  '選択肢から選んでください': 'Please choose one of the options',
  'この組み合わせでは本人確認になりません': 'These documents together do not prove who you are',
  '番号のような数字（12桁）は書かないでください': 'Please do not write a number like a My Number (12 digits)',
  '「=」「+」「-」「@」で始まる呼び名は使えません（表計算ソフトが数式として実行するため）':
    'A name may not start with =, +, - or @ (a spreadsheet would run it as a formula)',
  'この項目は使えません': 'This field cannot be used',
  '使えない文字が含まれています': 'It contains characters that cannot be used',
  '重複しています': 'This is a duplicate',
  '数が多すぎます': 'There are too many',
  'マイナンバーを入力してください': 'Please enter the My Number',
  '扶養親族の続柄・呼び名（例: 長男）を入力してください': "Please enter the dependant's relationship or name (e.g. eldest son)",
  '続柄・呼び名は1〜40文字で入力してください': 'Please enter 1 to 40 characters for the relationship or name',
  '提供しない理由を入力してください': 'Please say why you will not give it',
  '理由は1〜500文字で入力してください': 'Please enter 1 to 500 characters for the reason',
  '入力内容を確認してください': 'Please check what you entered',

  // errors.js
  'すでに登録済みの番号があります。人事担当者にお問い合わせください。': 'A number is already registered. Please contact HR.',
  '番号を提供しない場合は、書類の写真を送る必要はありません。': 'If you do not give your number, you do not need to send photos.',

  // form.js
  '扶養親族を削除しました。': 'Dependant removed.',
  '送信中…': 'Sending…',
  '写真の送信を待っています…': 'Waiting for the photos to be sent…',
  '写真の送信が終わるのを待っています。': 'Waiting for the photos to finish sending.',

  // photos.js: the slots, their states and their errors
  'マイナンバーカードの表面': 'Front of the My Number Card',
  '顔写真のある面です。裏面（番号のある面）は撮らなくてかまいません。': 'The side with your photo. You do not need to photograph the back (the side with the number).',
  '通知カードの表面': 'Front of the Notification Card',
  '氏名と番号が書かれた面です。': 'The side with your name and number.',
  '通知カードの裏面': 'Back of the Notification Card',
  '住所などの変更が書かれる面です。何も書かれていなくても撮影してください。': 'The side where changes such as a new address are written. Please photograph it even if it is blank.',
  '番号・氏名・住所が書かれたページです。': 'The page with your number, name and address.',
  '顔写真付きの身分証明書': 'Photo ID',
  '運転免許証・パスポート・在留カードなどの顔写真のある面です。': "The side with your photo of a driver's licence, passport, residence card, etc.",
  '顔写真のない書類（1点目）': 'Document without a photo (first)',
  '健康保険の資格確認書・年金手帳など、氏名と生年月日または住所が書かれた書類です。':
    'A document with your name and your date of birth or address, such as a health insurance eligibility certificate or a pension book.',
  '顔写真のない書類（2点目）': 'Document without a photo (second)',
  '1点目とは別の種類の書類にしてください。': 'Please use a different kind of document from the first.',
  '未選択': 'Not chosen',
  '準備中…': 'Preparing…',
  'アップロード中…': 'Uploading…',
  'アップロード済み': 'Uploaded',
  'エラー': 'Error',
  '画像（JPEG・PNGなど）かPDFを選んでください': 'Please choose an image (JPEG, PNG, etc.) or a PDF',
  'PDFが5MBを超えています。5MB以下のファイルを選んでください': 'The PDF is larger than 5 MB. Please choose a file of 5 MB or less',
  'ファイルが5MBを超えています。撮り直すか、別のファイルを選んでください': 'The file is larger than 5 MB. Please take the photo again or choose another file',
  'この画像を読み込めませんでした。撮り直すか、JPEG・PNGの画像を選んでください': 'This image could not be read. Please take the photo again or choose a JPEG or PNG image',
  'JPEG・PNG・PDF以外の形式は送れません': 'Only JPEG, PNG and PDF can be sent',
  '写真は1つのリンクにつき6枚までです。これ以上は送れません。人事担当者にお問い合わせください':
    'A link takes up to 6 photos; no more can be sent. Please contact HR',
  '写真を送れませんでした。通信状況を確かめて「もう一度送る」を押してください': 'The photo could not be sent. Please check your connection and press “Send again”',
  '写真を送れませんでした。「もう一度送る」を押してください': 'The photo could not be sent. Please press “Send again”',
  '混み合っています。しばらくしてから「もう一度送る」を押してください': 'The service is busy. Please press “Send again” in a little while',
  '写真のアップロードが完了していません。「もう一度送る」を押してください': 'The photo has not finished uploading. Please press “Send again”',
  'この写真は使えなくなりました。「もう一度送る」を押すか、選び直してください': 'This photo can no longer be used. Please press “Send again” or choose it again',
  '同じ写真が重複しています。削除してください': 'The same photo was sent twice. Please remove one',
  'この写真は受け付けられませんでした。選び直してください': 'This photo was not accepted. Please choose another',
  '通知カードの表面と裏面': 'the front and back of the Notification Card',
  '顔写真付きの身分証明書（運転免許証・パスポートなど）': "a photo ID (driver's licence, passport, etc.)",
  'マイナンバーカードの表面（顔写真のある面）の写真を1枚送ってください。裏面（番号のある面）は不要です。':
    'Please send one photo of the front of your My Number Card (the side with your photo). The back (the side with the number) is not needed.',
  '「番号を確認する書類」を選ぶと、必要な写真の欄が表示されます。': 'Choose the “Document that shows the number” and the photos needed will appear.',
}));

/** A wording inside a sentence: its English, or itself when it has none. */
const word = (ja) => WORDS.get(ja) ?? ja;

/** Sentences that carry a value: [the Japanese as a pattern, its English from the match]. */
export const PATTERNS = [
  [/^扶養親族 ([0-9]+)$/, (m) => `Dependant ${m[1]}`],
  [/^扶養親族 ([0-9]+) を削除$/, (m) => `Remove dependant ${m[1]}`],
  [/^提出件数：([0-9]+)件$/, (m) => `Records submitted: ${m[1]}`],
  [/^入力内容に誤りがあります（([0-9]+)件）。$/, (m) => `Some entries need correcting (${m[1]}).`],
  [/^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日 ([0-9]{1,2}):([0-9]{2})まで$/,
    (m) => `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')} ${m[4]}:${m[5]} (Japan time)`],
  [/^「(.+)」の写真を送れていません。「もう一度送る」を押すか、選び直すか、削除してから提出してください。$/,
    (m) => `The photo “${word(m[1])}” has not been sent. Press “Send again”, choose it again or remove it, then submit.`],
  [/^(.+)のプレビュー$/, (m) => `Preview of ${word(m[1])}`],
  [/^(.+)をもう一度送る$/, (m) => `Send ${word(m[1])} again`],
  [/^(.+)の写真を削除しました。$/, (m) => `Photo of ${word(m[1])} removed.`],
  [/^(.+)の写真を削除$/, (m) => `Remove the photo of ${word(m[1])}`],
  [/^(.+)の写真と、本人確認のための(.+)の写真を送ってください。$/,
    (m) => `Please send photos of ${word(m[1])}, and of ${word(m[2])} to prove who you are.`],
  [/^(.+)の写真を送ってください。本人確認はデジタル認証アプリで行うため、身分証明書の写真は不要です。$/,
    (m) => `Please send photos of ${word(m[1])}. You prove who you are with the Digital Authentication App, so no photo ID is needed.`],
  [/^(.+)の写真を送ってください。「本人であることを確認する書類」を選ぶと、その写真の欄も表示されます。$/,
    (m) => `Please send photos of ${word(m[1])}. Choose the “Document that proves who you are” and its photo will be asked for too.`],
];
