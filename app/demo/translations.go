package demo

// The guideline texts (guidelines, priorities, cross-cutting themes) and the
// consultation's title in Turkish, Arabic, Russian and Ukrainian, the
// languages most spoken in Hannover after German (the fields' titles are
// in fields.json). Everything else in the demo is German and English; a
// page in another language shows the German text there, marked lang="de".

var guidelineTranslations = []text{
	{"tr": "Hannover, çeşitliliğe açık bir kenttir ve göçü toplumsal gerçekliğimizin doğal bir parçası olarak görür.",
		"ar": "هانوفر مدينة منفتحة تحتضن التنوع، وترى في الهجرة جزءًا طبيعيًا من واقعنا الاجتماعي.",
		"ru": "Ганновер – открытый город многообразия, который воспринимает миграцию как естественную часть нашей общественной реальности.",
		"uk": "Ганновер – відкрите місто розмаїття, яке сприймає міграцію як природну частину нашої суспільної реальності."},
	{"tr": "Hannover'deki tüm insanlar eşit haklarla ve birbirine saygı göstererek bir arada yaşayabilmelidir. Bu nedenle ekonomik, siyasi, kültürel ve sosyal yaşamda herkes için eşit katılım ve fırsat eşitliği hedefliyoruz.",
		"ar": "ينبغي أن يتمكن جميع الناس في هانوفر من العيش معًا على قدم المساواة وباحترام متبادل. ولذلك نسعى إلى تحقيق المشاركة المتساوية وتكافؤ الفرص للجميع في الحياة الاقتصادية والسياسية والثقافية والاجتماعية.",
		"ru": "Все люди в Ганновере должны иметь возможность жить вместе на равных правах и с уважением друг к другу. Поэтому мы стремимся к равноправному участию и равным возможностям для всех в экономической, политической, культурной и общественной жизни.",
		"uk": "Усі люди в Ганновері повинні мати змогу жити разом на рівних правах і з повагою одне до одного. Тому ми прагнемо рівноправної участі та рівних можливостей для всіх в економічному, політичному, культурному й суспільному житті."},
	{"tr": "Çeşitlilik içinde bir arada yaşam herkese bağlıdır ve bu nedenle tüm kent toplumunun görevidir. Çeşitlilik içinde bir arada yaşam ayrıca herkes için bağlayıcı değerlere ve yasalara ihtiyaç duyar. Bu ortak temeli anayasamız ve hukuk devleti oluşturur.",
		"ar": "يعتمد العيش المشترك في ظل التنوع على الجميع، ولذلك فهو مهمة تقع على عاتق مجتمع المدينة بأسره. كما يحتاج العيش المشترك في ظل التنوع إلى قيم وقوانين ملزمة للجميع. ويشكّل دستورنا وسيادة القانون هذا الأساس المشترك.",
		"ru": "Совместная жизнь в многообразии зависит от всех и поэтому является задачей всего городского общества. Кроме того, совместной жизни в многообразии нужны ценности и законы, обязательные для всех. Эту общую основу составляют наша конституция и верховенство права.",
		"uk": "Спільне життя в розмаїтті залежить від усіх, тому це завдання для всієї міської спільноти. Крім того, спільному життю в розмаїтті потрібні цінності й закони, обов’язкові для всіх. Цю спільну основу становлять наша конституція та верховенство права."},
	{"tr": "Tüm kent sakinlerinin farklılıklarıyla birlikte, korkmadan bir arada yaşayabildiği canlı mahalleler istiyoruz.",
		"ar": "نريد أحياءً نابضة بالحياة يستطيع فيها جميع السكان والساكنات العيش معًا دون خوف، مع كل ما بينهم من اختلاف.",
		"ru": "Мы хотим живых добрососедских кварталов, в которых все жители и жительницы могут жить вместе без страха, со всеми своими различиями.",
		"uk": "Ми прагнемо живих добросусідських громад, у яких усі мешканці й мешканки можуть жити разом без страху, з усіма своїми відмінностями."},
	{"tr": "Almanca dil becerisini ve genel olarak çok dilliliği, ayrıca toplumsal katılımı mümkün kılan diğer becerileri destekliyoruz.",
		"ar": "ندعم الكفاءة في اللغة الألمانية وتعدد اللغات بوجه عام، إلى جانب كفاءات أخرى تتيح المشاركة في المجتمع.",
		"ru": "Мы поддерживаем владение немецким языком и многоязычие в целом, а также другие компетенции, которые делают возможным участие в жизни общества.",
		"uk": "Ми підтримуємо володіння німецькою мовою та багатомовність загалом, а також інші компетентності, що уможливлюють участь у житті суспільства."},
	{"tr": "Hannover'de ırkçılıkla ve her türlü ayrımcılıkla kararlılıkla mücadele ediyoruz.",
		"ar": "نكافح بحزم العنصرية وكل أشكال التمييز الأخرى في هانوفر.",
		"ru": "Мы решительно боремся с расизмом и любой другой формой дискриминации в Ганновере.",
		"uk": "Ми рішуче боремося з расизмом і будь-якою іншою формою дискримінації в Ганновері."},
	{"tr": "İnsanlığa ve İnsan Hakları Evrensel Beyannamesi'ne bağlı olan bu temel ilkeler, tüm kent toplumu için bir ölçüttür.",
		"ar": "هذه المبادئ التوجيهية، الملتزمة بالإنسانية وبالإعلان العالمي لحقوق الإنسان، معيار لمجتمع المدينة بأسره.",
		"ru": "Эти основные принципы, приверженные гуманизму и Всеобщей декларации прав человека, служат мерилом для всего городского общества.",
		"uk": "Ці основні принципи, віддані гуманності та Загальній декларації прав людини, є мірилом для всієї міської спільноти."},
}

var priorityTranslations = []text{
	{"tr": "Göç kentinde çeşitliliğe değer veren ve onu görünür kılan bir kültürün yerleşmesine hizmet eden ve ayrımcılığa karşı etki eden önlemleri tutarlı biçimde destekliyoruz.",
		"ar": "ندعم باستمرار الإجراءات التي تسهم في ترسيخ ثقافة التقدير وإبراز التنوع، وتعمل على مكافحة التمييز في مدينة الهجرة.",
		"ru": "Мы последовательно поддерживаем меры, которые помогают утвердить культуру признания и видимости многообразия и противодействуют дискриминации в городе иммиграции.",
		"uk": "Ми послідовно підтримуємо заходи, які сприяють утвердженню культури поваги до розмаїття та його видимості й протидіють дискримінації в місті імміграції."},
	{"tr": "Göç kentindeki tüm insanlar için toplumsal kurumların açılmasını ve erişilebilir olmasını destekliyoruz.",
		"ar": "ندعم انفتاح المؤسسات الاجتماعية وإتاحة الوصول إليها لجميع الناس في مدينة الهجرة.",
		"ru": "Мы содействуем открытости и доступности общественных институтов для всех людей в городе иммиграции.",
		"uk": "Ми сприяємо відкритості та доступності суспільних інституцій для всіх людей у місті імміграції."},
}

var themeTranslations = map[string]text{
	"gleichbehandlung": {"tr": "Eşit muamele", "ar": "المساواة في المعاملة", "ru": "Равное обращение", "uk": "Рівне ставлення"},
	"diversitaet": {"tr": "Çeşitliliğin tanınması ve desteklenmesi", "ar": "الاعتراف بالتنوع وتعزيزه",
		"ru": "Признание и поддержка многообразия", "uk": "Визнання та підтримка розмаїття"},
	"zielgruppenorientierung": {"tr": "Hedef gruplara yönelik iletişim ve tasarım", "ar": "التواصل والتخطيط الموجّهان إلى الفئات المستهدفة",
		"ru": "Коммуникация и планирование с учётом целевых групп", "uk": "Комунікація та планування з урахуванням цільових груп"},
}

var titleTranslations = text{
	"tr": "WIR sind Hannover – kentte bir arada yaşam",
	"ar": "WIR sind Hannover – العيش المشترك في المدينة",
	"ru": "WIR sind Hannover – совместная жизнь в городе",
	"uk": "WIR sind Hannover – спільне життя в місті",
}

func merge(into, from text) {
	for code, s := range from {
		into[code] = s
	}
}

func init() {
	for i := range Guidelines {
		merge(Guidelines[i], guidelineTranslations[i])
	}
	for i := range Priorities {
		merge(Priorities[i], priorityTranslations[i])
	}
	for _, th := range Themes {
		merge(th.Title, themeTranslations[th.Key])
	}
}
