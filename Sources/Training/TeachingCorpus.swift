import Transformer
/// A small corpus written for this project, for the BERT lessons: 36 short documents about
/// everyday things, 24 in English and 12 in Chinese, each a list of 3–6 sentences.
///
/// Within a document every sentence follows from the one before (a small story or a
/// sequence of steps), so "is B the sentence after A?" has a real answer: an IsNext pair reads
/// on naturally, a NotNext pair (B from another document) changes the subject. The vocabulary
/// repeats on purpose (cat, train, rain, school, 学校, 下雨 …) so word counts and WordPiece splits
/// show something on so little text.
public enum TeachingCorpus {
    /// Every document, English then Chinese; a document is a list of sentences.
    public static let documents: [[String]] = english + chinese

    /// The English documents (the first 24 of `documents`).
    public static let english: [[String]] = [
        [
            "The cat sleeps in the garden every afternoon.",
            "She likes the warm stones near the roses.",
            "When a bird lands on the fence, she opens one eye.",
            "The bird is too fast for her, so she goes back to sleep.",
        ],
        [
            "Tom takes the early train to the city on Monday.",
            "He buys a coffee at the station before it leaves.",
            "The train is full, so he stands by the door.",
            "After forty minutes he arrives and walks to his office.",
        ],
        [
            "To cook rice, first wash it in cold water.",
            "Put one cup of rice and two cups of water in a pot.",
            "Bring the water to a boil, then turn the heat down low.",
            "Cover the pot and wait about fifteen minutes.",
            "Let the rice rest for five minutes before you serve it.",
        ],
        [
            "Anna is a student at a small school near the river.",
            "Her first lesson every morning is mathematics.",
            "She finds fractions difficult, but she practises every evening.",
            "Last week she got the best mark in her class.",
        ],
        [
            "Dark clouds came over the hills in the afternoon.",
            "Soon it started to rain heavily.",
            "People on the street opened their umbrellas and hurried home.",
            "By the evening the rain had stopped and the air smelled fresh.",
        ],
        [
            "The library in our town opens at nine in the morning.",
            "I return the books I borrowed last month at the front desk.",
            "Then I look for a new novel on the second floor.",
            "The librarian helps me find a quiet seat by the window.",
            "I read there until lunchtime.",
        ],
        [
            "Our football team played a match on Saturday.",
            "The other team scored first, and we were worried.",
            "In the second half our captain scored two goals.",
            "We won the match and celebrated with the fans.",
        ],
        [
            "My grandmother keeps a small vegetable garden.",
            "In spring she plants tomatoes, beans and carrots.",
            "Every morning she waters the plants before breakfast.",
            "In summer we pick the tomatoes together.",
            "She makes a soup from them that tastes wonderful.",
        ],
        [
            "Ben wanted to bake a cake for his sister's birthday.",
            "He mixed flour, sugar, eggs and butter in a large bowl.",
            "He baked the cake in the oven for forty minutes.",
            "When it had cooled, he covered it with chocolate.",
            "His sister smiled when she saw it.",
        ],
        [
            "The bus to the beach leaves from the square at ten.",
            "We packed towels, sandwiches and a big bottle of water.",
            "The ride along the coast took almost an hour.",
            "At the beach we swam until the sun went down.",
        ],
        [
            "Lucy found a small dog alone in the park.",
            "The dog had a collar with a phone number on it.",
            "She called the number and a worried man answered.",
            "He came to the park ten minutes later and thanked her.",
        ],
        [
            "Winter arrived early this year.",
            "Snow covered the roads and the roofs overnight.",
            "The children built a snowman in front of the school.",
            "They gave it a carrot for a nose and a red scarf.",
        ],
        [
            "My phone stopped working this morning.",
            "I tried to charge it, but the screen stayed black.",
            "So I took it to a repair shop near the station.",
            "The man there replaced the battery in twenty minutes.",
            "Now the phone works again.",
        ],
        [
            "On Sunday we visited the museum of natural history.",
            "The first room showed the skeleton of a huge dinosaur.",
            "Next we saw birds and insects from many countries.",
            "At the end we bought postcards in the museum shop.",
        ],
        [
            "Sam learns to play the piano.",
            "His teacher comes to his house every Thursday.",
            "At first he could only play simple songs with one hand.",
            "Now he plays short pieces with both hands.",
            "He hopes to play at the school concert next year.",
        ],
        [
            "The market opens early on Saturday morning.",
            "Farmers sell fresh fruit, bread and cheese.",
            "I always buy apples from the same old farmer.",
            "He tells me which apples are the sweetest this week.",
        ],
        [
            "Maria moved to a new city for her job.",
            "At first she did not know anyone there.",
            "She joined a running club to meet people.",
            "After a few weeks she had several new friends.",
        ],
        [
            "The river flows slowly through the valley.",
            "In the morning, fishermen sit quietly on its banks.",
            "Children throw stones into the water after school.",
            "In the evening the river reflects the orange sky.",
        ],
        [
            "We planned a picnic for Sunday afternoon.",
            "But on Sunday morning the sky was grey and windy.",
            "So we had the picnic on the living room floor instead.",
            "The children said it was the best picnic ever.",
        ],
        [
            "Every morning I make tea for my parents.",
            "I boil the water and warm the teapot first.",
            "Then I add the leaves and wait three minutes.",
            "My father drinks his tea with milk, my mother without.",
        ],
        [
            "Our class went on a trip to a farm.",
            "The farmer showed us how to milk a cow.",
            "Then we fed the chickens and collected their eggs.",
            "On the bus home everyone was tired but happy.",
        ],
        [
            "The old clock in the hall stopped at midnight.",
            "My uncle opened it and looked at the tiny wheels.",
            "He cleaned them carefully with a soft brush.",
            "The next morning the clock was ticking again.",
        ],
        [
            "Leo wanted to read more books this year.",
            "He decided to read for thirty minutes before bed.",
            "In January he finished two short novels.",
            "By the summer he had read twelve books.",
        ],
        [
            "The wind blew hard all night.",
            "In the morning a large branch lay across the road.",
            "The neighbours came out with saws to cut it up.",
            "By noon the road was clear and the cars could pass again.",
        ],
    ]

    /// The Chinese documents (the last 12 of `documents`).
    public static let chinese: [[String]] = [
        [
            "我是一个学生。",
            "我每天早上坐公交车去学校。",
            "第一节课是数学课。",
            "中午我和同学们一起在食堂吃饭。",
        ],
        [
            "今天下午突然下雨了。",
            "我没有带雨伞。",
            "我在图书馆门口等雨停。",
            "半个小时以后，雨停了，我走回家。",
        ],
        [
            "妈妈教我做米饭。",
            "先把米洗干净。",
            "然后在锅里放米和水。",
            "水开以后用小火煮十五分钟。",
            "米饭做好了，很香。",
        ],
        [
            "我家有一只小猫。",
            "它喜欢在花园里晒太阳。",
            "有时候它会追蝴蝶。",
            "晚上它睡在我的床边。",
        ],
        [
            "周末我们坐火车去北京。",
            "火车早上八点出发。",
            "路上我看到了很多山和河。",
            "下午三点我们到了北京。",
        ],
        [
            "学校的图书馆很大。",
            "里面有很多中文书和英文书。",
            "我每个星期借两本书。",
            "看完以后我按时把书还回去。",
        ],
        [
            "星期六下午我们去踢足球。",
            "我们队和三班比赛。",
            "上半场我们输了一个球。",
            "下半场我们进了两个球，最后赢了。",
        ],
        [
            "春天到了，天气暖和了。",
            "公园里的花都开了。",
            "很多人来公园散步和拍照。",
            "孩子们在草地上放风筝。",
        ],
        [
            "爷爷每天早上去公园打太极拳。",
            "他已经打了二十年了。",
            "所以他的身体一直很好。",
            "现在我也跟着他一起学。",
        ],
        [
            "明天是妹妹的生日。",
            "我用零花钱给她买了一本画册。",
            "妈妈还为她做了一个蛋糕。",
            "妹妹看到礼物，非常高兴。",
        ],
        [
            "冬天的早上很冷。",
            "我穿上厚厚的外套和围巾。",
            "路上的水都结冰了。",
            "我走得很慢，怕滑倒。",
        ],
        [
            "哥哥在一家医院工作。",
            "他是一名医生。",
            "他每天要看很多病人。",
            "虽然很累，但是他很喜欢这份工作。",
        ],
    ]

    /// Every sentence of every document, in order.
    public static var sentences: [String] { documents.flatMap { $0 } }
}
