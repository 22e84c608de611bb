// deltabench dashboard: a small hash-routed page over the node's /api/v1.
// Plain ES2020, no build step, nothing loaded from elsewhere. All data reaches
// the DOM through textContent / attributes, never through innerHTML.
'use strict';

(() => {
  // ------------------------------------------------------------------ i18n

  const DICT = {
    zh: {
      'app.title': '长三角绩效对标与互认看板',
      'app.sub': '联邦式机关绩效对标节点',
      'nav.overview': '节点概览', 'nav.comparison': '横向比较', 'nav.trend': '趋势',
      'nav.recognition': '互认矩阵', 'nav.composite': '综合指数', 'nav.public': '众评',
      'pub.projects': '民生项目', 'pub.rated': '已公布评分的项目', 'pub.ratings': '计入评分的评价',
      'pub.open': '未办结整改', 'pub.overdue': '逾期整改', 'pub.project': '项目', 'pub.unit': '责任单位',
      'pub.category': '类别', 'pub.n': '评价数', 'pub.score': '评分（收缩）', 'pub.raw': '原始平均',
      'pub.sat': '满意率（95% 区间）', 'pub.dist': '分布（5→1）', 'pub.progress': '进度',
      'pub.below': '不足 {k} 条', 'pub.tasks': '整改任务（评 1–2 级自动生成）', 'pub.notasks': '没有整改任务。',
      'pub.task': '任务', 'pub.level': '评价等级', 'pub.opened': '生成', 'pub.due': '期限', 'pub.status': '状态',
      'pub.response': '整改答复', 'pub.callback': '回访', 'pub.filter': '只看逾期', 'pub.all': '全部任务',
      'pub.method': '评分向同类项目平均值收缩（先验权重 {c} 条）；满 {k} 条评价才公布。公开页面：',
      'task.open': '待整改', 'task.responded': '已答复', 'task.closed': '已办结', 'task.voided': '申诉作废',
      'task.overdue': '逾期', 'task.late': '逾期答复',
      'cb.satisfied': '满意', 'cb.unsatisfied': '不满意', 'cb.unreachable': '未联系上',
      'nav.hotline': '12345 热线', 'hl.period': '期间', 'hl.category': '类别（留空为全部）', 'hl.resolution': '网格精度（H3）',
      'hl.map': '群众诉求热力图', 'hl.nomap': '该期间没有带坐标的诉求。', 'hl.requests': '诉求 {n} 件，{w} 件无坐标。',
      'hl.towns': '按镇（街道）', 'hl.depts': '部门响应效能', 'hl.nodepts': '该期间没有诉求。', 'hl.delta': '长三角各地热线摘要（已签名，单元格不少于 k 件）', 'hl.nodelta': '尚无成员签发该期间的热线摘要。', 'hl.member': '成员', 'hl.top': '诉求最多的类别', 'hl.cells': '公开单元格（隐去）', 'hl.dept': '部门', 'hl.cat': '类别',
      'hl.all': '全部', 'hl.n': '诉求数', 'hl.resp': '响应时长 p50/p90（小时）', 'hl.close': '办结时长 p50/p90（小时，K-M）',
      'hl.open': '未办结', 'hl.sla': '按时办结率', 'hl.closure': '办结率', 'hl.resolution_rate': '解决率', 'hl.sat': '满意度',
      'hl.flags': '数据质量标记', 'hl.flag.closed_before_opened': '先办结后受理', 'hl.flag.closed_within_minutes': '数分钟内办结',
      'hl.flag.reopened': '重新打开', 'hl.flag.no_acknowledgement': '无响应记录',
      'hl.km': '办结时长用 Kaplan–Meier 估计：未办结的诉求按至今未办结计入，而不是被忽略。办结率与解决率分列：解释说明与未解决的办结不计入解决率。',
      'nav.debt': '债务风险', 'debt.title': '债务率热力图（债务余额 / 综合财力）', 'debt.none': '本节点没有债务数据。',
      'debt.jur': '地区', 'debt.projected': '预测（按债券发行计划）', 'debt.crossings': '风险等级变化', 'debt.nocross': '没有等级变化。',
      'debt.rising': '上升（预警）', 'debt.falling': '下降', 'debt.source': '分级依据：', 'debt.service': '偿债率',
      'band.green': '绿', 'band.yellow': '黄', 'band.orange': '橙', 'band.red': '红',
      'nav.twin': '绩效孪生', 'twin.framework': '考核框架', 'twin.period': '年度', 'twin.warnings': '预警（前置干预）',
      'twin.nowarnings': '没有预警。', 'twin.forecasts': '年末预测与区间', 'twin.noforecasts': '该年度没有逐月数据可供预测。',
      'twin.unit': '单位', 'twin.indicator': '指标', 'twin.months': '已报月份', 'twin.ytd': '年内累计', 'twin.forecast': '年末预测',
      'twin.interval': '{level}% 区间', 'twin.target': '目标', 'twin.pmiss': '未达标概率', 'twin.method': '方法', 'twin.chart': '区间与目标',
      'twin.trigger': '触发原因', 'twin.kind': '类型', 'twin.ack': '确认与措施', 'twin.unacked': '未确认',
      'twin.kind.target_miss': '目标可能未达成', 'twin.kind.debt_band': '债务风险等级上升', 'twin.without': '无预测 {n} 项（原因见接口 without）',
      'twin.threshold': '未达标概率超过 {p} 即预警。', 'twin.nointerval': '无区间',
      'twin.kind.grade_fall': '等次可能下降', 'twin.fan': '50%、80%、95% 区间（扇形图）',
      'twin.skill': '预测承诺与检验（各成员）', 'twin.noskill': '该年度没有预测承诺。',
      'twin.skill.hint': '预测在年度汇总之前签发并上链；汇总发布后按区间覆盖率与区间得分（越低越好，已除以实际值）检验。',
      'twin.asof': '截至', 'twin.status': '状态', 'twin.scored': '已检验指标', 'twin.coverage': '区间覆盖率', 'twin.ris': '相对区间得分',
      'twin.status.scored': '已检验', 'twin.status.awaiting_summary': '待汇总', 'twin.status.after_summary': '晚于汇总（不计）',
      'kind.public_rating': '民生众评', 'kind.forecast': '预测承诺',
      'nav.whatif': '情景模拟', 'whatif.title': '情景模拟：改权重、目标、规则、等次或假设值', 'whatif.changes': '改动（JSON）',
      'whatif.run': '模拟', 'whatif.assume': '代入年末预测值', 'whatif.hint': '只计算不保存，已发布的数据不变。需要管理员令牌。',
      'whatif.admin': '情景模拟需要管理员令牌（admin token）：请清除令牌后用管理员令牌进入。', 'whatif.changed': '等次变化的单位',
      'whatif.before': '现状', 'whatif.after': '模拟后', 'whatif.total': '总分', 'whatif.grade': '等次', 'whatif.pay': '绩效系数', 'whatif.rank': '名次 [区间]',
      'whatif.category': '类别', 'whatif.badjson': '改动不是合法的 JSON：{msg}',
      'signout': '清除令牌', 'loading': '正在加载…', 'none': '无', 'yes': '是', 'no': '否',
      'login.title': '需要访问令牌', 'login.label': '查看者令牌（viewer token）',
      'login.hint': '令牌也可以放在链接的片段中，例如 …/#token=令牌。令牌只保存在本标签页的会话中。',
      'login.submit': '进入', 'err.title': '出错了', 'err.network': '无法连接节点：{msg}',
      'err.noindicators': '没有可用的参照指标：节点尚未持有参照指标体系。',
      'err.pickone': '请至少选择一个指标。',
      'node.title': '本节点', 'node.code': '行政区划代码', 'node.name_zh': '中文名称',
      'node.name_en': '英文名称', 'node.peer': '节点 ID（peer id）', 'node.version': '软件版本',
      'node.key': '公钥（ed25519）', 'node.listen': 'P2P 监听地址',
      'alliances.title': '所属联盟', 'alliance': '联盟', 'version': '版本', 'members': '成员',
      'threshold': '名册变更门槛', 'quorum': '互认法定数', 'reference': '参照指标体系', 'expires': '有效期至',
      'peers.title': '已连接节点', 'peers.count': '{n} 个节点已连接', 'jurisdiction': '地区',
      'member_of': '所属联盟', 'addresses': '地址', 'connected_at': '连接时间',
      'frameworks.title': '持有的指标体系', 'framework': '指标体系', 'name': '名称', 'owner': '所有者',
      'indicators': '指标数', 'periods': '期间',
      'docs.title': '持有的签名文件（按类型和签发方）', 'issuer': '签发方', 'total': '合计',
      'kind.jurisdiction': '地区声明', 'kind.summary': '指标汇总', 'kind.framework': '指标体系',
      'kind.crosswalk': '映射', 'kind.endorsement': '背书', 'kind.roster': '联盟名册',
      'evidence.title': '证据：被拒文件与双重签发', 'rejected_by_reason': '按原因统计的被拒文件',
      'reason': '原因', 'count': '数量', 'equivocations': '双重签发（同一序号两份文件）', 'seq': '序号',
      'recorded_at': '记录时间', 'recent_rejections': '最近被拒', 'at': '时间', 'source': '来源',
      'detail': '详情', 'no_rejections': '没有被拒文件。', 'no_equivocations': '没有双重签发证据。',
      'cmp.indicator': '参照指标', 'cmp.period': '期间', 'cmp.flagged': '将标记行也参与排名',
      'cmp.download_csv': '下载 CSV', 'cmp.download_sdmx': '下载 SDMX-CSV',
      'cmp.heading': '{name}，{period}', 'cmp.meta': '单位：{unit} · {direction} · 参照体系版本 {version}',
      'cmp.frontier': '前沿值', 'cmp.median': '中位数', 'cmp.norows': '该期间没有任何成员的数据。',
      'cmp.missing': '缺少数据的成员', 'cmp.manifest': '清单哈希', 'cmp.inputs': '依据 {n} 份输入文件',
      'cmp.reference_itself': '（即参照指标）', 'cmp.via': '经由',
      'col.rank': '排名', 'col.value': '数值', 'col.source': '原始值 / 原始指标', 'col.z': 'z 分数',
      'col.minmax': '极差标准化', 'col.dtf': '距前沿', 'col.median': '同组中位数', 'col.change': '较上期',
      'col.flags': '标记', 'col.crosswalk': '映射（互认状态）', 'col.document': '汇总文件',
      'col.previous': '上期值 {v}，文件 {doc}',
      'flag.not_exact': '非精确映射', 'flag.unrecognised': '未互认', 'flag.version_out_of_range': '版本超出范围',
      'flag.outside_range': '超出有效区间',
      'dir.higher_is_better': '越高越好', 'dir.lower_is_better': '越低越好', 'dir.closest_to_target': '越接近目标越好',
      'rel.exact': '精确', 'rel.close': '相近', 'rel.broad': '较宽', 'rel.narrow': '较窄', 'rel.related': '相关',
      'status.recognised': '已互认', 'status.pending': '待互认', 'status.rejected': '已拒绝', 'status.superseded': '已被取代',
      'trend.heading': '{name}：各期间比较', 'trend.hollow': '空心点：该期间带标记（未参与排名）的数值；表中 #n 为当期排名。', 'trend.freq': '期间粒度', 'trend.nodata': '没有任何期间的数据。',
      'freq.Y': '年', 'freq.H': '半年', 'freq.Q': '季度', 'freq.M': '月',
      'rec.filter': '状态', 'rec.all': '全部', 'rec.crosswalk': '映射', 'rec.mapping': '源指标 → 参照指标',
      'rec.relation': '关系', 'rec.status': '状态', 'rec.accepted': '已接受', 'rec.rejected': '已拒绝',
      'rec.needed': '待签', 'rec.blank': '不需要', 'rec.legend': '图例', 'rec.empty': '没有映射。',
      'rec.side.source': '源指标所有方', 'rec.side.target': '参照指标所有方', 'rec.side.both': '双方所有方',
      'rec.member_of': '{a} 成员', 'rec.by_status': '映射数量（按互认状态）',
      'comp.indicators': '指标与权重', 'comp.weight': '权重', 'comp.norm': '标准化方法',
      'comp.agg': '加总方法', 'comp.missing': '缺失值处理', 'comp.draws': '抽样次数',
      'comp.seed': '随机种子', 'comp.perturb': '权重扰动幅度', 'comp.flagged': '包含标记行',
      'comp.submit': '计算', 'comp.index': '综合指数', 'comp.interval': '排名区间 P5–P95',
      'comp.coverage': '权重覆盖率', 'comp.excluded': '未纳入的成员', 'comp.lacks': '缺少：{list}', 'comp.flagged_only': '仅有带标记（未参与排名）的数值：{list}',
      'comp.method': '方法说明', 'comp.rank_axis': '排名（1 为最好），线段为 P5–P95 区间',
      'mw.miss.exclude': '缺少任一指标的成员不参与合成，列入“未纳入的成员”',
      'mw.miss.reweight': '成员缺少某项指标时按其余指标计分，其余权重按比例放大至合计为 1（覆盖率为其拥有的权重占比）',
      'mw.norm.min_max': '各指标按成员中最差到最好缩放到 0–100',
      'mw.norm.z_score': '各指标取 z 分数（总体标准差），大于 0 表示优于均值',
      'mw.norm.distance_to_frontier': '各指标取 100 ×（1 − 与最佳成员的距离 ÷ 指标取值区间宽度；未声明区间时用观测极差）',
      'mw.agg.arithmetic': '加权算术平均', 'mw.agg.geometric': '加权几何平均（任一得分为 0 时指数为 0）',
      'mw.intervals': '排名区间为 {draws} 次抽样中排名的第 5 和第 95 百分位，每次各权重乘以 [1 − {p}, 1 + {p}] 内均匀分布的随机因子',
      'cmp.ranked': '参与排名',
      'comp.share': '占比 {s}', 'comp.norows': '没有成员进入综合指数。',
      'norm.min_max': '极差标准化（0–100）', 'norm.z_score': 'z 分数', 'norm.distance_to_frontier': '距前沿',
      'agg.arithmetic': '加权算术平均', 'agg.geometric': '加权几何平均',
      'miss.exclude': '剔除缺项成员', 'miss.reweight': '按已有指标重新加权',
      'median_line': '中位数',
      'tbl.filter': '按代码或名称筛选', 'tbl.showing': '显示 {n} / {m} 行', 'tbl.sort': '点击按此列排序',
      'tbl.nomatch': '没有匹配的行。',
      'footer': '数据仅来自本节点；令牌只保存在本标签页。',
    },
    en: {
      'app.title': 'Yangtze Delta Performance Benchmarking',
      'app.sub': 'Federated appraisal benchmarking node',
      'nav.overview': 'Overview', 'nav.comparison': 'Comparison', 'nav.trend': 'Trend',
      'nav.recognition': 'Recognition', 'nav.composite': 'Composite', 'nav.public': 'Public rating',
      'pub.projects': 'Livelihood projects', 'pub.rated': 'Projects with a shown score', 'pub.ratings': 'Ratings counted',
      'pub.open': 'Open rectifications', 'pub.overdue': 'Overdue rectifications', 'pub.project': 'Project', 'pub.unit': 'Responsible unit',
      'pub.category': 'Category', 'pub.n': 'Ratings', 'pub.score': 'Score (shrunk)', 'pub.raw': 'Raw mean',
      'pub.sat': 'Satisfied (95% interval)', 'pub.dist': 'Distribution (5→1)', 'pub.progress': 'Progress',
      'pub.below': 'fewer than {k}', 'pub.tasks': 'Rectification tasks (opened by ratings of 1–2)', 'pub.notasks': 'No rectification tasks.',
      'pub.task': 'Task', 'pub.level': 'Level', 'pub.opened': 'Opened', 'pub.due': 'Due', 'pub.status': 'Status',
      'pub.response': 'Response', 'pub.callback': 'Call-back', 'pub.filter': 'Overdue only', 'pub.all': 'All tasks',
      'pub.method': 'Scores are pulled toward the mean of projects of the same category (prior weight {c} ratings) and shown from {k} ratings. The public page: ',
      'task.open': 'open', 'task.responded': 'responded', 'task.closed': 'closed', 'task.voided': 'voided on appeal',
      'task.overdue': 'overdue', 'task.late': 'answered late',
      'cb.satisfied': 'satisfied', 'cb.unsatisfied': 'unsatisfied', 'cb.unreachable': 'unreachable',
      'nav.hotline': '12345 hotline', 'hl.period': 'Period', 'hl.category': 'Category (empty for all)', 'hl.resolution': 'Grid (H3 resolution)',
      'hl.map': 'Demand heat map', 'hl.nomap': 'No request with coordinates in this period.', 'hl.requests': '{n} requests, {w} without coordinates.',
      'hl.towns': 'By town or street', 'hl.depts': 'Department response efficiency', 'hl.nodepts': 'No requests in this period.', 'hl.delta': 'Hotline summaries across the Delta (signed; cells of at least k requests)', 'hl.nodelta': 'No member has signed a hotline summary of this period yet.', 'hl.member': 'Member', 'hl.top': 'Most requested categories', 'hl.cells': 'Cells published (withheld)', 'hl.dept': 'Department', 'hl.cat': 'Category',
      'hl.all': 'all', 'hl.n': 'Requests', 'hl.resp': 'Response p50/p90 (h)', 'hl.close': 'To close p50/p90 (h, K-M)',
      'hl.open': 'Open', 'hl.sla': 'Within SLA', 'hl.closure': 'Closure rate', 'hl.resolution_rate': 'Resolution rate', 'hl.sat': 'Satisfaction',
      'hl.flags': 'Data-quality flags', 'hl.flag.closed_before_opened': 'closed before opened', 'hl.flag.closed_within_minutes': 'closed within minutes',
      'hl.flag.reopened': 'reopened', 'hl.flag.no_acknowledgement': 'no acknowledgement',
      'hl.km': 'Time to close is a Kaplan–Meier estimate: a request still open counts as open so far, not as missing. The closure rate and the resolution rate stand apart: closures explained or unresolved do not count as resolved.',
      'nav.debt': 'Debt risk', 'debt.title': 'Debt ratio heat map (debt balance / comprehensive resources)', 'debt.none': 'No debt figures on this node.',
      'debt.jur': 'Jurisdiction', 'debt.projected': 'projected over the bond calendar', 'debt.crossings': 'Changes of band', 'debt.nocross': 'No change of band.',
      'debt.rising': 'rising (warning)', 'debt.falling': 'falling', 'debt.source': 'Bands from: ', 'debt.service': 'debt-service ratio',
      'band.green': 'green', 'band.yellow': 'yellow', 'band.orange': 'orange', 'band.red': 'red',
      'nav.twin': 'Twin', 'twin.framework': 'Framework', 'twin.period': 'Year', 'twin.warnings': 'Early warnings',
      'twin.nowarnings': 'No warnings.', 'twin.forecasts': 'Year-end forecasts and intervals', 'twin.noforecasts': 'No monthly data to forecast in this year.',
      'twin.unit': 'Unit', 'twin.indicator': 'Indicator', 'twin.months': 'Months in', 'twin.ytd': 'Year to date', 'twin.forecast': 'Year-end forecast',
      'twin.interval': '{level}% interval', 'twin.target': 'Target', 'twin.pmiss': 'P(miss)', 'twin.method': 'Method', 'twin.chart': 'Interval and target',
      'twin.trigger': 'Trigger', 'twin.kind': 'Kind', 'twin.ack': 'Acknowledged, action', 'twin.unacked': 'not acknowledged',
      'twin.kind.target_miss': 'target likely missed', 'twin.kind.debt_band': 'debt band rising', 'twin.without': '{n} series without a forecast (reasons in the API\'s without)',
      'twin.threshold': 'A P(miss) above {p} warns.', 'twin.nointerval': 'no interval',
      'twin.kind.grade_fall': 'grade forecast to fall', 'twin.fan': '50%, 80% and 95% intervals (fan chart)',
      'twin.skill': 'Forecast commitments and their scores (every member)', 'twin.noskill': 'No forecast commitments for this year.',
      'twin.skill.hint': 'A forecast is signed on the issuer\'s chain before the year\'s summary; once the summary is out it is scored by interval coverage and interval score (lower is better, over the actual value).',
      'twin.asof': 'As of', 'twin.status': 'Status', 'twin.scored': 'Scored', 'twin.coverage': 'Coverage', 'twin.ris': 'Relative interval score',
      'twin.status.scored': 'scored', 'twin.status.awaiting_summary': 'awaiting summary', 'twin.status.after_summary': 'after the summary (not counted)',
      'kind.public_rating': 'Public rating', 'kind.forecast': 'Forecast',
      'nav.whatif': 'What-if', 'whatif.title': 'What-if: change weights, targets, rules, grading or assume values', 'whatif.changes': 'Changes (JSON)',
      'whatif.run': 'Run', 'whatif.assume': 'Assume the year-end forecasts', 'whatif.hint': 'Computed, not stored: published data never changes. Needs an admin token.',
      'whatif.admin': 'The what-if needs an admin token: forget the token and open the dashboard with the admin token.', 'whatif.changed': 'Units whose grade changes',
      'whatif.before': 'As it stands', 'whatif.after': 'After the changes', 'whatif.total': 'Total', 'whatif.grade': 'Grade', 'whatif.pay': 'Pay coefficient', 'whatif.rank': 'Rank [interval]',
      'whatif.category': 'Category', 'whatif.badjson': 'The changes are not valid JSON: {msg}',
      'signout': 'Forget token', 'loading': 'Loading…', 'none': 'none', 'yes': 'yes', 'no': 'no',
      'login.title': 'Access token needed', 'login.label': 'Viewer token',
      'login.hint': 'The token can also be given in the link fragment, e.g. …/#token=TOKEN. It is kept only for this browser tab.',
      'login.submit': 'Open', 'err.title': 'Something went wrong', 'err.network': 'Cannot reach the node: {msg}',
      'err.noindicators': 'No reference indicator is available: the node holds no reference framework yet.',
      'err.pickone': 'Choose at least one indicator.',
      'node.title': 'This node', 'node.code': 'Division code', 'node.name_zh': 'Chinese name',
      'node.name_en': 'English name', 'node.peer': 'Peer id', 'node.version': 'Software version',
      'node.key': 'Public key (ed25519)', 'node.listen': 'P2P listen addresses',
      'alliances.title': 'Alliances', 'alliance': 'Alliance', 'version': 'Version', 'members': 'Members',
      'threshold': 'Roster threshold', 'quorum': 'Recognition quorum', 'reference': 'Reference framework', 'expires': 'Expires',
      'peers.title': 'Connected peers', 'peers.count': '{n} peer(s) connected', 'jurisdiction': 'Jurisdiction',
      'member_of': 'Member of', 'addresses': 'Addresses', 'connected_at': 'Connected since',
      'frameworks.title': 'Frameworks held', 'framework': 'Framework', 'name': 'Name', 'owner': 'Owner',
      'indicators': 'Indicators', 'periods': 'Periods',
      'docs.title': 'Signed documents held, by kind and issuer', 'issuer': 'Issuer', 'total': 'Total',
      'kind.jurisdiction': 'Declaration', 'kind.summary': 'Summary', 'kind.framework': 'Framework',
      'kind.crosswalk': 'Crosswalk', 'kind.endorsement': 'Endorsement', 'kind.roster': 'Roster',
      'evidence.title': 'Evidence: rejected documents and equivocations', 'rejected_by_reason': 'Rejected documents by reason',
      'reason': 'Reason', 'count': 'Count', 'equivocations': 'Equivocations (two documents, one sequence number)', 'seq': 'Seq',
      'recorded_at': 'Recorded', 'recent_rejections': 'Recent rejections', 'at': 'At', 'source': 'Source',
      'detail': 'Detail', 'no_rejections': 'No document was rejected.', 'no_equivocations': 'No equivocation evidence.',
      'cmp.indicator': 'Reference indicator', 'cmp.period': 'Period', 'cmp.flagged': 'Rank flagged rows too',
      'cmp.download_csv': 'Download CSV', 'cmp.download_sdmx': 'Download SDMX-CSV',
      'cmp.heading': '{name}, {period}', 'cmp.meta': 'Unit: {unit} · {direction} · reference version {version}',
      'cmp.frontier': 'Frontier', 'cmp.median': 'Median', 'cmp.norows': 'No member has a value for this period.',
      'cmp.missing': 'Members without a value', 'cmp.manifest': 'Manifest', 'cmp.inputs': 'over {n} input documents',
      'cmp.reference_itself': '(the reference itself)', 'cmp.via': 'via',
      'col.rank': 'Rank', 'col.value': 'Value', 'col.source': 'Source value / indicator', 'col.z': 'z',
      'col.minmax': 'Min-max', 'col.dtf': 'To frontier', 'col.median': 'Peer median', 'col.change': 'Change',
      'col.flags': 'Flags', 'col.crosswalk': 'Crosswalk (recognition)', 'col.document': 'Summary document',
      'col.previous': 'previous {v}, document {doc}',
      'flag.not_exact': 'not exact', 'flag.unrecognised': 'unrecognised', 'flag.version_out_of_range': 'version out of range',
      'flag.outside_range': 'outside valid range',
      'dir.higher_is_better': 'higher is better', 'dir.lower_is_better': 'lower is better', 'dir.closest_to_target': 'closest to target is best',
      'rel.exact': 'exact', 'rel.close': 'close', 'rel.broad': 'broad', 'rel.narrow': 'narrow', 'rel.related': 'related',
      'status.recognised': 'recognised', 'status.pending': 'pending', 'status.rejected': 'rejected', 'status.superseded': 'superseded',
      'trend.heading': '{name} across periods', 'trend.hollow': 'Hollow points: flagged values (not ranked) in that period; #n in the table is the rank.', 'trend.freq': 'Granularity', 'trend.nodata': 'No period has data.',
      'freq.Y': 'years', 'freq.H': 'half-years', 'freq.Q': 'quarters', 'freq.M': 'months',
      'rec.filter': 'Status', 'rec.all': 'all', 'rec.crosswalk': 'Crosswalk', 'rec.mapping': 'Source → reference',
      'rec.relation': 'Relation', 'rec.status': 'Status', 'rec.accepted': 'accepted', 'rec.rejected': 'rejected',
      'rec.needed': 'needed', 'rec.blank': 'not needed', 'rec.legend': 'Legend', 'rec.empty': 'No crosswalk.',
      'rec.side.source': 'owner of the source', 'rec.side.target': 'owner of the target', 'rec.side.both': 'owner of both sides',
      'rec.member_of': 'member of {a}', 'rec.by_status': 'Crosswalks by recognition status',
      'comp.indicators': 'Indicators and weights', 'comp.weight': 'Weight', 'comp.norm': 'Normalisation',
      'comp.agg': 'Aggregation', 'comp.missing': 'Missing values', 'comp.draws': 'Draws',
      'comp.seed': 'Seed', 'comp.perturb': 'Weight perturbation', 'comp.flagged': 'Include flagged rows',
      'comp.submit': 'Compute', 'comp.index': 'Index', 'comp.interval': 'Rank interval P5–P95',
      'comp.coverage': 'Coverage', 'comp.excluded': 'Members left out', 'comp.lacks': 'lacks: {list}', 'comp.flagged_only': 'only a flagged value, not ranked: {list}',
      'comp.method': 'Method', 'comp.rank_axis': 'Rank (1 = best); lines span P5–P95',
      'cmp.ranked': 'Ranked',
      'comp.share': 'share {s}', 'comp.norows': 'No member is in the composite.',
      'norm.min_max': 'min-max (0–100)', 'norm.z_score': 'z-score', 'norm.distance_to_frontier': 'distance to frontier',
      'agg.arithmetic': 'weighted arithmetic mean', 'agg.geometric': 'weighted geometric mean',
      'miss.exclude': 'leave out members lacking a value', 'miss.reweight': 'reweight over the values present',
      'median_line': 'median',
      'tbl.filter': 'Filter by code or name', 'tbl.showing': 'showing {n} of {m}', 'tbl.sort': 'Sort by this column',
      'tbl.nomatch': 'No row matches.',
      'footer': 'All data comes from this node; the token stays in this tab.',
    },
  };
  const UNITS = {
    '%': { zh: '%', en: '%' }, days: { zh: '天', en: 'days' }, hours: { zh: '小时', en: 'hours' },
    score_0_100: { zh: '分（0–100）', en: 'score 0–100' }, score_1_5: { zh: '分（1–5）', en: 'score 1–5' },
    ratio: { zh: '比率', en: 'ratio' }, count: { zh: '个', en: 'count' }, yuan: { zh: '元', en: 'yuan' },
  };
  const PAGES = ['overview', 'comparison', 'trend', 'recognition', 'composite', 'public', 'twin', 'whatif', 'debt', 'hotline'];
  const KINDS = ['jurisdiction', 'framework', 'summary', 'crosswalk', 'endorsement', 'roster'];
  const KIND_COLORS = { jurisdiction: '#7a8797', framework: '#2e8b57', summary: '#1f5f9e',
    crosswalk: '#d08c18', endorsement: '#7b4fa0', roster: '#b23a48' };
  const STATUS_COLORS = { recognised: '#2e7d4f', pending: '#c98a0a', rejected: '#b3261e', superseded: '#8a8f98' };
  const PALETTE = ['#1f5f9e', '#c0392b', '#2e8b57', '#d08c18', '#7b4fa0', '#17869e', '#8c564b', '#5c6b7a'];
  const TOKEN_KEY = 'deltabench.token';
  const LANG_KEY = 'deltabench.lang';

  const state = {
    lang: 'en',
    token: '',
    names: new Map(),   // jurisdiction code -> {zh, en}
    members: [],        // alliance member codes, roster order
    alliances: new Set(),
    indicators: new Map(), // "fw/code" -> indicator of a reference framework
    cache: new Map(),
  };

  /** Translates a key, filling {name} placeholders. */
  function t(key, vars) {
    let s = DICT[state.lang][key] ?? DICT.en[key] ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  }
  const tOr = (key, fallback) => (key in DICT[state.lang] ? t(key) : fallback);
  const unitLabel = (u) => (UNITS[u] ? UNITS[u][state.lang] : (u || ''));
  const locale = () => (state.lang === 'zh' ? 'zh-CN' : 'en-GB');

  function storageGet(store, key) { try { return window[store].getItem(key); } catch { return null; } }
  function storageSet(store, key, v) {
    try { if (v === null) window[store].removeItem(key); else window[store].setItem(key, v); } catch { /* private mode */ }
  }

  // --------------------------------------------------------------- DOM helpers

  const SVGNS = 'http://www.w3.org/2000/svg';

  function setProps(el, props, isSvg) {
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'class' && !isSvg) el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (!isSvg && (k === 'value' || k === 'checked' || k === 'selected')) el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function kidsOf(kids) {
    return kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false)
      .map((k) => (k instanceof Node ? k : document.createTextNode(String(k))));
  }
  /** Creates an HTML element; children are nodes or strings (as text). */
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    el.append(...kidsOf(kids));
    setProps(el, props, false); // after the children, so a select's value sticks
    return el;
  }
  /** Creates an SVG element. */
  function s(tag, props, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    setProps(el, props, true);
    el.append(...kidsOf(kids));
    return el;
  }
  const $ = (sel) => document.querySelector(sel);

  function fmt(v, digits = 3) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    if (typeof v !== 'number') return String(v);
    const d = Math.abs(v) >= 1000 ? Math.min(digits, 1) : digits;
    return v.toLocaleString(locale(), { maximumFractionDigits: d, minimumFractionDigits: 0 });
  }
  const signed = (v, d) => (v === null || v === undefined ? '–' : (v > 0 ? '+' : '') + fmt(v, d));
  const when = (ts) => (ts ? String(ts).replace('T', ' ').replace('Z', ' UTC') : '–');
  const timeEl = (ts) => (ts ? h('time', { datetime: ts, text: when(ts) }) : '–');
  const dateEl = (ts) => (ts ? h('time', { datetime: ts, title: when(ts), text: String(ts).slice(0, 10) }) : '–');
  const short = (hash) => (hash ? String(hash).slice(0, 12) + '…' : '–');
  const hashCode = (hash) => h('code', { class: 'hash', title: hash, text: short(hash) });

  function jurName(code) {
    const n = state.names.get(String(code));
    return (n && (n[state.lang] || n.en || n.zh)) || String(code ?? '–');
  }
  /** A jurisdiction as "Name 320585" (the code muted). */
  function jurLabel(code) {
    const name = jurName(code);
    if (name === String(code)) return h('span', { class: 'jur' }, h('span', { class: 'code', text: code }));
    return h('span', { class: 'jur', title: String(code) }, name, ' ', h('span', { class: 'code muted', text: code }));
  }
  /** A colour dot and the jurisdiction, kept on one line. */
  const jurCell = (code) => h('span', { class: 'nowrap' }, swatch(code), jurLabel(code));
  function colorOf(code) {
    let i = state.members.indexOf(String(code));
    if (i < 0) i = [...String(code)].reduce((a, c) => a + c.charCodeAt(0), 0);
    return PALETTE[i % PALETTE.length];
  }
  function indicatorName(ref) {
    const ind = state.indicators.get(ref);
    if (!ind) return ref;
    return (state.lang === 'zh' ? ind.name_zh : ind.name_en) || ind.name_en || ind.name_zh || ref;
  }

  function card(title, ...kids) {
    return h('section', { class: 'card' }, title ? h('h2', { text: title }) : null, ...kids);
  }
  function errorBox(detail, title) {
    return h('div', { class: 'error-box', role: 'alert' },
      h('strong', { text: title || t('err.title') }), h('div', { class: 'error-detail', text: detail }));
  }
  /** A table with class data-table: cols are [label, className?]; rows are arrays of cells or <tr>s. */
  function table(cols, rows, extraClass) {
    const head = h('tr', null, cols.map(([label, cls]) => h('th', { class: cls || null, scope: 'col' }, label)));
    const body = rows.map((r) => (r instanceof Node ? r : h('tr', null, r.map((c, i) => h('td', { class: cols[i][1] || null }, c)))));
    return h('div', { class: 'table-wrap' },
      h('table', { class: 'data-table' + (extraClass ? ' ' + extraClass : '') }, h('thead', null, head), h('tbody', null, body)));
  }
  /** A small colour dot for a jurisdiction (an SVG, so no inline style is needed). */
  const swatch = (code) => s('svg', { class: 'swatch', viewBox: '0 0 10 10', width: 10, height: 10, 'aria-hidden': 'true' },
    s('circle', { cx: 5, cy: 5, r: 5, fill: colorOf(code) }));
  const badge = (text, cls, title) => h('span', { class: 'badge ' + (cls || ''), title: title || null, text });
  const statusBadge = (st) => badge(t('status.' + st), 'st-' + st);
  const flagBadges = (flags) => (flags || []).map((f) => badge(tOr('flag.' + f, f), 'flag', f));

  // ------------------------------------------------- long tables: sort, filter

  /** The lower-cased text a jurisdiction is found by: its code and both names. */
  function searchText(code) {
    const n = state.names.get(String(code)) || {};
    return [code, n.zh, n.en].filter(Boolean).join(' ').toLowerCase();
  }
  /** Whether every word of the query occurs in the jurisdiction's code or names. */
  function matches(code, q) {
    const words = String(q || '').toLowerCase().split(/\s+/).filter(Boolean);
    const text = searchText(code);
    return words.every((w) => text.includes(w));
  }
  /** A long name cut to `n` characters (the full one goes in a title). */
  const clip = (text, n) => (text.length > n ? text.slice(0, n - 1) + '…' : text);

  /**
   * Makes a data table (from `table()`) sortable by its header cells and
   * filterable by jurisdiction. `items[k]` is the data of `trs[k]`, each with
   * a `jurisdiction`; `sorts[i]` is null or `{ id, key, desc }` for column i:
   * `key(item)` gives a number or string (null or undefined sort last), and
   * `desc` makes descending the first order chosen. `view` is `{ sort, dir, q }`
   * (sort: a column id) and is kept current; `changed(visibleItems)` runs after
   * every change, with the items shown, in table order. Returns a function
   * that re-applies the view.
   */
  function sortable(wrap, items, trs, sorts, view, changed) {
    const table = wrap.querySelector('table');
    const tbody = table.tBodies[0];
    const ths = [...table.tHead.rows[0].cells];
    const apply = () => {
      const order = items.map((_, k) => k);
      const col = sorts.find((c) => c && c.id === view.sort);
      if (col) {
        const dir = view.dir === 'desc' ? -1 : 1;
        order.sort((a, b) => {
          const x = col.key(items[a]), y = col.key(items[b]);
          const xm = x === null || x === undefined || Number.isNaN(x), ym = y === null || y === undefined || Number.isNaN(y);
          if (xm || ym) return (xm - ym) || a - b; // missing values last, whatever the direction
          const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), locale());
          return dir * c || a - b;
        });
      }
      const shown = [];
      for (const k of order) {
        const visible = matches(items[k].jurisdiction, view.q);
        trs[k].hidden = !visible;
        if (visible) shown.push(items[k]);
        tbody.append(trs[k]);
      }
      ths.forEach((th, i) => {
        if (sorts[i]) th.setAttribute('aria-sort', col && sorts[i].id === col.id ? (view.dir === 'desc' ? 'descending' : 'ascending') : 'none');
      });
      changed(shown);
    };
    ths.forEach((th, i) => {
      const c = sorts[i];
      if (!c) return;
      th.dataset.sort = c.id;
      const btn = h('button', { type: 'button', class: 'sort-btn', title: t('tbl.sort') }, [...th.childNodes], h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
      btn.addEventListener('click', () => {
        if (view.sort === c.id) view.dir = view.dir === 'desc' ? 'asc' : 'desc';
        else { view.sort = c.id; view.dir = c.desc ? 'desc' : 'asc'; }
        apply();
      });
      th.replaceChildren(btn);
    });
    apply();
    return apply;
  }

  /** The search box over a table, and the "showing n of m" line beside it. */
  function filterBox(view, onquery) {
    const input = h('input', { type: 'search', id: 'filter-rows', class: 'filter', value: view.q || '',
      placeholder: t('tbl.filter'), 'aria-label': t('tbl.filter'), autocomplete: 'off', spellcheck: 'false' });
    let timer = null;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { view.q = input.value.trim(); onquery(); }, 120);
    });
    const count = h('span', { class: 'muted small filter-count', 'aria-live': 'polite' });
    return { el: h('div', { class: 'table-tools' }, input, count), count };
  }
  /** The view of a sortable table from the hash: `q`, `sort`, `dir`. */
  const tableView = (params) => ({ q: params.get('q') || '', sort: params.get('sort') || null, dir: params.get('dir') === 'desc' ? 'desc' : 'asc' });
  /** Adds a table view to hash parameters. */
  function withView(params, view) {
    if (view.q) params.set('q', view.q); else params.delete('q');
    if (view.sort) { params.set('sort', view.sort); params.set('dir', view.dir); } else { params.delete('sort'); params.delete('dir'); }
    return params;
  }
  /** A box that scrolls a tall chart instead of shrinking it. */
  const chartBox = (...kids) => h('div', { class: 'scroll-y' }, ...kids);
  /** Row height in chart units: smaller for long lists, fixed per count. */
  const rowHeight = (n, roomy) => (n > 60 ? 20 : n > 15 ? 26 : roomy);

  // --------------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, title, detail) { super(detail); this.status = status; this.title = title; this.detail = detail; }
  }

  /** Calls /api/v1 with the bearer token; throws ApiError with the problem's detail. */
  async function api(path, opts = {}) {
    const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    let resp;
    try {
      resp = await fetch('/api/v1' + path, {
        method: opts.method || 'GET', headers, cache: 'no-store',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (e) {
      throw new ApiError(0, t('err.title'), t('err.network', { msg: e.message }));
    }
    if (!resp.ok) {
      let p = null;
      try { p = await resp.json(); } catch { /* not problem+json */ }
      throw new ApiError(resp.status, (p && p.title) || resp.statusText,
        (p && p.detail) || `HTTP ${resp.status} ${resp.statusText}`);
    }
    return opts.raw ? resp : resp.json();
  }

  /** Memoises a loader for ttl ms (the promise, so parallel callers share one request). */
  function cached(key, fn, ttl = 15000) {
    const hit = state.cache.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.promise;
    const promise = fn();
    state.cache.set(key, { at: Date.now(), promise });
    promise.catch(() => state.cache.delete(key));
    return promise;
  }

  /** Runs fn over items with at most n in flight. */
  async function mapLimit(items, n, fn) {
    const out = new Array(items.length);
    let next = 0;
    const worker = async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i], i); } };
    await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
    return out;
  }

  // ------------------------------------------------------------ periods

  /** [year, first month, last month] of a period (2025, 2025-H1, 2025-Q3, 2025-07). */
  function periodKey(p) {
    const m = /^(\d{4})(?:-(H[12]|Q[1-4]|\d{2}))?$/.exec(p);
    if (!m) return [9999, 99, 99];
    let f = 1, l = 12;
    if (m[2] && m[2][0] === 'H') { f = m[2][1] === '1' ? 1 : 7; l = f + 5; }
    else if (m[2] && m[2][0] === 'Q') { l = 3 * Number(m[2][1]); f = l - 2; }
    else if (m[2]) { f = l = Number(m[2]); }
    return [Number(m[1]), f, l];
  }
  function comparePeriods(a, b) {
    const x = periodKey(a), y = periodKey(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || String(a).localeCompare(String(b));
  }
  const periodKind = (p) => { const m = /^\d{4}-?([HQ]?)/.exec(p); return !m ? '?' : (p.length === 4 ? 'Y' : (m[1] || 'M')); };

  // ------------------------------------------------------- shared catalogue

  function learnNames(node, rosters) {
    const add = (code, zh, en) => { if (code && (zh || en)) state.names.set(String(code), { zh: zh || en, en: en || zh }); };
    const members = [];
    state.alliances = new Set();
    for (const r of (rosters && rosters.rosters) || []) {
      const roster = r.roster || r;
      state.alliances.add(roster.alliance);
      for (const m of roster.members || []) { add(m.code, m.name_zh, m.name_en); if (!members.includes(m.code)) members.push(m.code); }
    }
    for (const a of (node && node.alliances) || []) {
      state.alliances.add(a.id);
      for (const c of a.members || []) if (!members.includes(c)) members.push(c);
    }
    const j = node && node.jurisdiction;
    if (j) { add(j.code, j.name_zh, j.name_en); if (!members.includes(j.code)) members.push(j.code); }
    state.members = members;
  }

  /** Node, rosters, reference indicators and the periods summaries exist for. */
  async function loadCatalogue() {
    const [node, rosters, fws] = await Promise.all([
      cached('node', () => api('/node')), cached('rosters', () => api('/rosters')),
      cached('frameworks', () => api('/frameworks')),
    ]);
    learnNames(node, rosters);
    state.selfCode = node.jurisdiction && node.jurisdiction.code;
    const all = fws.frameworks || [];
    let refIds = ((rosters && rosters.rosters) || []).map((r) => (r.roster || r).reference_framework).filter(Boolean);
    for (const f of all) if (f.owner && f.owner.alliance) refIds.push(f.id);
    refIds = [...new Set(refIds)].filter((id) => all.some((f) => f.id === id));
    if (!refIds.length) refIds = [...new Set(all.map((f) => f.id))]; // no alliance reference: offer everything
    const details = await Promise.all(refIds.map((id) =>
      cached('fw:' + id, () => api('/frameworks/' + encodeURIComponent(id))).catch((e) => (e.status === 404 ? null : Promise.reject(e)))));
    const indicators = [];
    for (const d of details) {
      if (!d || !d.versions || !d.versions.length) continue;
      const latest = d.versions.map((v) => v.framework).sort((a, b) => compareSemver(b.version, a.version))[0];
      for (const ind of latest.indicators || []) {
        const ref = `${latest.id}/${ind.code}`;
        const entry = { ...ind, ref, framework: latest.id, framework_zh: latest.name_zh, framework_en: latest.name_en };
        indicators.push(entry);
        state.indicators.set(ref, entry);
      }
    }
    const periods = await loadPeriods(all.filter((f) => refIds.includes(f.id)));
    return { node, rosters, frameworks: all, indicators, periods };
  }

  function compareSemver(a, b) {
    const pa = String(a).split(/[.+-]/).map(Number), pb = String(b).split(/[.+-]/).map(Number);
    for (let i = 0; i < 3; i++) if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
    return 0;
  }

  /** Periods that summaries are held for (the node's /periods); the reference
   *  frameworks' periods when it holds none. */
  async function loadPeriods(refFrameworks) {
    const found = new Set((await cached('periods', () => api('/periods'))).periods || []);
    if (!found.size) refFrameworks.forEach((f) => (f.periods || []).forEach((p) => found.add(p)));
    return [...found].sort(comparePeriods);
  }

  // ---------------------------------------------------------------- routing

  function parseHash() {
    const raw = location.hash.replace(/^#/, '');
    let path = raw, query = '';
    const q = raw.indexOf('?');
    if (q >= 0) { path = raw.slice(0, q); query = raw.slice(q + 1); }
    else if (!raw.startsWith('/') && raw.includes('=')) { path = ''; query = raw; } // "#token=..."
    const page = path.replace(/^\/+/, '').split('/')[0];
    return { page: PAGES.includes(page) ? page : 'overview', params: new URLSearchParams(query) };
  }
  function hashFor(page, params) {
    const parts = [];
    for (const [k, v] of params) {
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v).replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%2C/g, ','));
    }
    return '#/' + page + (parts.length ? '?' + parts.join('&') : '');
  }
  /** Moves to a view; the hashchange listener renders it. */
  function go(page, params) {
    const next = hashFor(page, params);
    if (location.hash === next) render(); else location.hash = next;
  }
  /** Writes the effective view into the URL (no new history entry, no re-render). */
  function settle(page, params) {
    const next = hashFor(page, params);
    if (location.hash !== next) history.replaceState(null, '', location.pathname + location.search + next);
  }
  /**
   * Takes a token from the fragment into sessionStorage and out of the visible
   * URL; a `lang=zh|en` in the fragment chooses the language the same way.
   */
  function captureToken() {
    const { page, params } = parseHash();
    if (params.has('token') || params.has('lang')) {
      const tok = (params.get('token') || '').trim();
      const lang = params.get('lang');
      params.delete('token');
      params.delete('lang');
      if (tok) { storageSet('sessionStorage', TOKEN_KEY, tok); state.cache.clear(); }
      if (lang === 'zh' || lang === 'en') { state.lang = lang; storageSet('localStorage', LANG_KEY, lang); }
      history.replaceState(null, '', location.pathname + location.search + hashFor(page, params));
    }
    state.token = storageGet('sessionStorage', TOKEN_KEY) || state.token || '';
  }

  // ---------------------------------------------------------------- chrome

  function renderChrome(page) {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${t('nav.' + page)} · ${t('app.title')}`;
    $('#brand-title').textContent = t('app.title');
    const self = state.names.get(state.selfCode || '');
    $('#brand-sub').textContent = t('app.sub') + (state.selfCode ? ` · ${self ? self[state.lang] + ' ' : ''}${state.selfCode}` : '');
    $('#brand-sub').title = $('#brand-sub').textContent; // a long office name is cut short
    $('#nav').replaceChildren(...PAGES.map((p) => h('a', {
      href: '#/' + p, class: 'nav-link' + (p === page ? ' active' : ''), 'aria-current': p === page ? 'page' : null,
      text: t('nav.' + p), dataset: { page: p },
    })));
    for (const b of document.querySelectorAll('.lang-btn')) {
      b.classList.toggle('active', b.dataset.lang === state.lang);
      b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
    }
    const out = $('#sign-out');
    out.textContent = t('signout');
    out.hidden = !state.token;
    $('#footer').textContent = t('footer');
  }

  function showLogin(detail, title) {
    const input = h('input', { type: 'password', id: 'token-input', autocomplete: 'off', spellcheck: 'false', required: true });
    const form = h('form', { class: 'login card' },
      h('h2', { text: t('login.title') }),
      detail ? errorBox(detail, title) : null,
      h('label', { for: 'token-input', text: t('login.label') }), input,
      h('button', { type: 'submit', class: 'btn btn-primary', text: t('login.submit') }),
      h('p', { class: 'muted small', text: t('login.hint') }));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const tok = input.value.trim();
      if (!tok) return;
      storageSet('sessionStorage', TOKEN_KEY, tok);
      state.token = tok;
      state.cache.clear();
      render();
    });
    $('#main').replaceChildren(form);
    $('#sign-out').hidden = true;
    input.focus();
  }

  // ---------------------------------------------------------------- render

  let generation = 0;

  async function render() {
    const my = ++generation;
    const { page, params } = parseHash();
    delete document.body.dataset.ready;
    delete document.body.dataset.error;
    document.body.dataset.page = page;
    renderChrome(page);
    if (!state.token) { showLogin(); return; }
    const view = h('div', { class: 'page page-' + page }, h('p', { class: 'loading', text: t('loading') }));
    $('#main').replaceChildren(view);
    const ctx = { page, params, view, alive: () => my === generation };
    try {
      await RENDERERS[page](ctx);
      if (ctx.alive()) { renderChrome(page); document.body.dataset.ready = page; }
    } catch (e) {
      if (ctx.alive()) { renderChrome(page); fail(e, view); }
    }
  }

  /** Shows an error: a 401 brings the token form back; anything else a visible box. */
  function fail(e, container) {
    const detail = (e && (e.detail || e.message)) || String(e);
    if (e instanceof ApiError && e.status === 401) {
      storageSet('sessionStorage', TOKEN_KEY, null);
      state.token = '';
      state.cache.clear();
      showLogin(detail, e.title);
    } else {
      container.querySelectorAll('.loading').forEach((n) => n.remove());
      const box = errorBox(detail, e && e.title);
      const controls = container.querySelector(':scope > .controls');
      if (controls) controls.after(box); else container.prepend(box);
      console.error(e);
    }
    document.body.dataset.error = detail;
  }

  // ------------------------------------------------------------ page: overview

  async function pageOverview(ctx) {
    const [node, rosters, peers, fws, docs, evidence] = await Promise.all([
      cached('node', () => api('/node')), cached('rosters', () => api('/rosters')), api('/peers'),
      cached('frameworks', () => api('/frameworks')), api('/documents'), api('/evidence'),
    ]);
    if (!ctx.alive()) return;
    learnNames(node, rosters);
    state.selfCode = node.jurisdiction && node.jurisdiction.code;
    const j = node.jurisdiction || {};
    const dl = h('dl', { class: 'facts' },
      [['node.code', h('strong', { text: j.code })], ['node.name_zh', j.name_zh], ['node.name_en', j.name_en],
        ['node.peer', h('code', { class: 'wrap', text: node.peer_id })], ['node.version', node.version],
        ['node.key', h('code', { class: 'wrap', text: node.public_key })],
        ['node.listen', ((node.p2p && node.p2p.listen) || []).join('  ') || '–']]
        .map(([k, v]) => [h('dt', { text: t(k) }), h('dd', null, v ?? '–')]));

    // Alliances: the node's view, completed from the signed rosters.
    const rosterOf = new Map(((rosters && rosters.rosters) || []).map((r) => [(r.roster || r).alliance, r.roster || r]));
    const ids = [...new Set([...(node.alliances || []).map((a) => a.id), ...rosterOf.keys()])];
    const allianceRows = ids.map((id) => {
      const a = (node.alliances || []).find((x) => x.id === id) || {};
      const r = rosterOf.get(id) || {};
      const members = a.members || (r.members || []).map((m) => m.code);
      return [h('strong', { text: id }), String(a.version ?? r.version ?? '–'),
        h('span', { class: 'chips' }, members.map((c) => jurLabel(c))),
        String(a.threshold ?? r.threshold ?? '–'), String(r.recognition_quorum ?? '–'),
        r.reference_framework ? h('code', { text: r.reference_framework }) : '–', dateEl(a.expires_at || r.expires_at)];
    });

    const peerRows = (peers.peers || []).map((p) => [
      p.jurisdiction ? jurLabel(p.jurisdiction) : h('span', { class: 'muted', text: '?' }),
      h('code', { class: 'wrap', title: p.peer_id, text: p.peer_id }), (p.member_of || []).join(', ') || '–',
      h('code', { class: 'wrap small', text: (p.addresses || []).join(' ') }), timeEl(p.connected_at)]);

    const fwRows = (fws.frameworks || []).map((f) => [
      h('code', { text: f.id }), (state.lang === 'zh' ? f.name_zh : f.name_en) || f.name_en || '', f.version,
      f.owner && f.owner.alliance ? badge(f.owner.alliance, 'alliance') : jurLabel(f.owner && f.owner.jurisdiction),
      String(f.indicators ?? '–'), (f.periods || []).join(', ')]);

    // Documents: count by issuer and kind.
    const counts = new Map();
    // Only the kinds held: a roster in force from the node's configuration
    // is no document here (the alliances card shows it), and an empty
    // Roster column would read as "no roster".
    const present = new Set((docs.documents || []).map((d) => d.kind));
    const kinds = [...KINDS.filter((k) => present.has(k)), ...[...present].filter((k) => !KINDS.includes(k))];
    for (const d of docs.documents || []) {
      const row = counts.get(d.issuer) || {};
      row[d.kind] = (row[d.kind] || 0) + 1;
      counts.set(d.issuer, row);
    }
    const issuers = [...counts.keys()].sort((a, b) => (state.members.indexOf(a) + 1 || 99) - (state.members.indexOf(b) + 1 || 99) || a.localeCompare(b));
    const totals = {};
    const docRows = issuers.map((iss) => {
      const row = counts.get(iss);
      kinds.forEach((k) => { totals[k] = (totals[k] || 0) + (row[k] || 0); });
      return h('tr', { dataset: { jurisdiction: iss } }, h('td', null, jurLabel(iss)),
        kinds.map((k) => h('td', { class: 'num', text: row[k] ? String(row[k]) : '·' })),
        h('td', { class: 'num' }, h('strong', { text: String(Object.values(row).reduce((a, b) => a + b, 0)) })));
    });
    docRows.push(h('tr', { class: 'total' }, h('th', { scope: 'row', text: t('total') }),
      kinds.map((k) => h('td', { class: 'num', text: String(totals[k] || 0) })),
      h('td', { class: 'num', text: String((docs.documents || []).length) })));

    const reasons = Object.entries(evidence.rejected_by_reason || {}).sort((a, b) => b[1] - a[1]);
    const equivs = evidence.equivocations || [];
    const recent = (evidence.recent_rejections || []).slice(0, 10);

    ctx.view.replaceChildren(
      h('div', { class: 'grid-2' },
        card(t('node.title'), dl),
        card(t('alliances.title'), allianceRows.length ? table(
          [[t('alliance')], [t('version'), 'num'], [t('members')], [t('threshold'), 'num'], [t('quorum'), 'num'], [t('reference')], [t('expires')]],
          allianceRows) : h('p', { class: 'muted', text: t('none') }),
        h('h3', { text: t('peers.title') }),
        h('p', { class: 'muted small', text: t('peers.count', { n: (peers.peers || []).length }) }),
        peerRows.length ? table([[t('jurisdiction')], [t('node.peer')], [t('member_of')], [t('addresses')], [t('connected_at')]], peerRows) : null)),
      card(t('docs.title'), chartBox(docChart(issuers, kinds, counts)),
        table([[t('issuer')], ...kinds.map((k) => [tOr('kind.' + k, k), 'num']), [t('total'), 'num']], docRows)),
      card(t('frameworks.title'), table([[t('framework')], [t('name')], [t('version')], [t('owner')], [t('indicators'), 'num'], [t('periods')]], fwRows)),
      card(t('evidence.title'),
        h('div', { class: 'grid-2 flat' },
          h('div', null, h('h3', { text: t('rejected_by_reason') }), reasons.length
            ? table([[t('reason')], [t('count'), 'num']], reasons.map(([r, n]) => [h('code', { text: r }), String(n)]))
            : h('p', { class: 'ok', text: t('no_rejections') })),
          h('div', null, h('h3', { text: t('equivocations') }), equivs.length
            ? table([[t('issuer')], [t('seq'), 'num'], [t('recorded_at')]],
              equivs.map((e) => [jurLabel(e.issuer), String(e.seq), timeEl(e.recorded_at)]))
            : h('p', { class: 'ok', text: t('no_equivocations') }))),
        recent.length ? h('h3', { text: t('recent_rejections') }) : null,
        recent.length ? table([[t('at')], [t('reason')], [t('source')], [t('issuer')], [t('detail')]],
          recent.map((r) => [timeEl(r.at), h('code', { text: r.reason }), r.source, r.issuer ? jurLabel(r.issuer) : '–', r.detail])) : null));
  }

  // ---------------------------------------------------------- page: comparison

  /** The indicator <select>, grouped by reference framework. */
  function indicatorSelect(indicators, value, onchange) {
    const groups = new Map();
    for (const ind of indicators) {
      if (!groups.has(ind.framework)) groups.set(ind.framework, []);
      groups.get(ind.framework).push(ind);
    }
    return h('select', { id: 'pick-indicator', name: 'indicator', value, onchange },
      [...groups].map(([fw, list]) => h('optgroup', { label: fw },
        list.map((ind) => h('option', { value: ind.ref,
        text: indicatorName(ind.ref) === ind.ref ? ind.ref : `${indicatorName(ind.ref)} (${ind.code})` })))));
  }
  function periodPicker(periods, value, onchange) {
    if (!periods.length) return h('input', { id: 'pick-period', name: 'period', value, size: 8, placeholder: '2025', onchange });
    const list = periods.includes(value) ? periods : [...periods, value];
    return h('select', { id: 'pick-period', name: 'period', value, onchange },
      list.slice().sort(comparePeriods).reverse().map((p) => h('option', { value: p, text: p })));
  }
  /** The options, plus the asked-for indicator if it is not among them (so the picker shows it). */
  const withCurrent = (list, ref) => (list.some((i) => i.ref === ref) ? list
    : [...list, { ref, code: ref, framework: String(ref).split('/')[0] }]);
  const field = (label, control, cls) => h('label', { class: 'field ' + (cls || '') }, h('span', { class: 'field-label', text: label }), control);

  function defaultIndicator(params, cat) {
    const want = params.get('indicator') || state.lastIndicator;
    return want || (cat.indicators[0] && cat.indicators[0].ref);
  }
  const latestPeriod = (cat) => cat.periods[cat.periods.length - 1] || String(new Date().getFullYear() - 1);

  async function pageComparison(ctx) {
    const cat = await loadCatalogue();
    if (!ctx.alive()) return;
    const indicator = defaultIndicator(ctx.params, cat);
    if (!indicator) throw new Error(t('err.noindicators'));
    const period = ctx.params.get('period') || state.lastPeriod || latestPeriod(cat);
    const flagged = ctx.params.get('flagged') === '1';
    const query = `?indicator=${encodeURIComponent(indicator)}&period=${encodeURIComponent(period)}${flagged ? '&include_flagged=true' : ''}`;
    const view = tableView(ctx.params);
    const here = () => withView(new URLSearchParams({ indicator, period, ...(flagged ? { flagged: '1' } : {}) }), view);
    settle('comparison', here());

    const update = () => {
      const p = new URLSearchParams();
      p.set('indicator', $('#pick-indicator').value);
      p.set('period', $('#pick-period').value.trim() || period);
      if ($('#pick-flagged').checked) p.set('flagged', '1');
      go('comparison', withView(p, view));
    };
    const downloads = h('div', { class: 'downloads' },
      downloadButton(t('cmp.download_csv'), '/comparisons' + query + '&format=csv', `comparison-${indicator.replace('/', '-')}-${period}.csv`),
      downloadButton(t('cmp.download_sdmx'), '/comparisons' + query + '&format=sdmx-csv', `comparison-${indicator.replace('/', '-')}-${period}.sdmx.csv`));
    const controls = h('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); update(); } },
      field(t('cmp.indicator'), indicatorSelect(withCurrent(cat.indicators, indicator), indicator, update), 'wide'),
      field(t('cmp.period'), periodPicker(cat.periods, period, update)),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'pick-flagged', checked: flagged, onchange: update }), t('cmp.flagged')),
      downloads);
    // The pickers come first, so that a failing comparison can be changed.
    ctx.view.replaceChildren(controls, h('p', { class: 'loading', text: t('loading') }));
    const cmp = await api('/comparisons' + query);
    if (!ctx.alive()) return;
    state.lastIndicator = indicator;
    state.lastPeriod = period;

    const unit = unitLabel(cmp.unit);
    const head = h('div', { class: 'headline' },
      h('h2', { text: t('cmp.heading', { name: indicatorName(cmp.indicator), period: cmp.period }) }),
      h('p', { class: 'muted', text: t('cmp.meta', { unit: unit || '–', direction: tOr('dir.' + cmp.direction, cmp.direction), version: cmp.reference_version }) }),
      h('div', { class: 'kpis' },
        kpi(t('cmp.frontier'), fmt(cmp.frontier), unit), kpi(t('cmp.median'), fmt(cmp.median), unit),
        // Flagged rows are shown but not ranked: they do not count here.
        kpi(t('cmp.ranked'), String(cmp.rows.filter((r) => r.rank !== undefined && r.rank !== null).length),
          `/ ${cmp.rows.length + (cmp.missing || []).length}`)));

    const rows = cmp.rows.map((r) => comparisonRow(r, cmp));
    const cols = [[t('col.rank'), 'num'], [t('jurisdiction')], [`${t('col.value')} (${unit})`, 'num'], [t('col.source')],
      [t('col.z'), 'num'], [t('col.minmax'), 'num'], [t('col.dtf'), 'num'], [t('col.median'), 'num'],
      [t('col.change'), 'num'], [t('col.flags')], [t('col.crosswalk')], [t('col.document')]];
    // Higher first for values and scores (the frontier for "higher is
    // better"); ranks and distances lowest first.
    const sorts = [{ id: 'rank', key: (r) => r.rank }, { id: 'jurisdiction', key: (r) => jurName(r.jurisdiction) },
      { id: 'value', key: (r) => r.value, desc: true }, { id: 'source', key: (r) => r.source_value, desc: true },
      { id: 'z', key: (r) => r.z_score, desc: true }, { id: 'minmax', key: (r) => r.minmax, desc: true },
      { id: 'dtf', key: (r) => r.distance_to_frontier }, { id: 'median', key: (r) => r.peer_median, desc: true },
      { id: 'change', key: (r) => r.change, desc: true }, { id: 'flags', key: (r) => (r.flags || []).length, desc: true },
      { id: 'crosswalk', key: (r) => (r.crosswalk ? r.crosswalk.id : '') }, null];
    const missing = cmp.missing || [];
    const chart = chartBox();
    const tableEl = table(cols, rows, 'comparison-table');
    const tools = filterBox(view, () => { apply(); });
    const none = h('p', { class: 'muted', hidden: true, text: t('tbl.nomatch') });
    ctx.view.replaceChildren(controls, card(null, head,
      cmp.rows.length ? h('div', null, tools.el, chart, none) : h('p', { class: 'muted', text: t('cmp.norows') }),
      tableEl,
      missing.length ? h('div', { class: 'missing' }, h('h3', { text: t('cmp.missing') }),
        h('ul', null, missing.map((m) => h('li', { dataset: { jurisdiction: m.jurisdiction } }, jurLabel(m.jurisdiction), ': ', m.reason)))) : null,
      manifestLine(cmp.manifest, (cmp.inputs || []).length)));
    // The chart keeps rank order and shows the rows the filter lets through.
    const apply = sortable(tableEl, cmp.rows, rows, sorts, view, (shown) => {
      const visible = cmp.rows.filter((r) => matches(r.jurisdiction, view.q));
      chart.replaceChildren(...(visible.length ? [barChart({ ...cmp, rows: visible })] : []));
      none.hidden = visible.length > 0;
      tools.count.textContent = t('tbl.showing', { n: shown.length, m: cmp.rows.length });
      settle('comparison', here());
    });
  }

  function kpi(label, value, unit) {
    return h('div', { class: 'kpi' }, h('div', { class: 'kpi-label', text: label }),
      h('div', { class: 'kpi-value' }, value, unit ? h('span', { class: 'kpi-unit', text: ' ' + unit }) : null));
  }
  function manifestLine(manifest, n) {
    return h('p', { class: 'manifest small' }, h('span', { class: 'muted', text: t('cmp.manifest') + ': ' }),
      h('code', { class: 'wrap', title: manifest, text: manifest }), ' · ', h('span', { class: 'muted', text: t('cmp.inputs', { n }) }));
  }

  function comparisonRow(r, cmp) {
    const flagged = (r.flags || []).length > 0;
    // A change is coloured only where its sign says better or worse: for
    // "closest to target" a rise may move towards or away from the target.
    const good = r.change === undefined || r.change === 0 || cmp.direction === 'closest_to_target' ? '' :
      ((r.change > 0) === (cmp.direction === 'higher_is_better') ? 'good' : 'bad');
    const cw = r.crosswalk;
    const cwCell = cw
      ? h('div', { class: 'cw' }, h('code', { text: cw.id }),
        h('div', { class: 'nowrap' }, `v${cw.version} · ${tOr('rel.' + cw.relation, cw.relation)} `,
          statusBadge(cw.status || (cw.recognised ? 'recognised' : 'pending'))),
        cw.via && cw.via.length ? h('div', { class: 'small muted', text: `${t('cmp.via')} ${cw.via.map((v) => v.id).join(' → ')}` }) : null)
      : h('span', { class: 'muted', text: t('cmp.reference_itself') });
    if (cw) cwCell.title = `${cw.id} v${cw.version} ${cw.hash}`;
    return h('tr', { class: flagged ? 'flagged' : null, dataset: { jurisdiction: r.jurisdiction } },
      h('td', { class: 'num' }, r.rank !== undefined ? h('strong', { text: String(r.rank) }) : '–'),
      h('td', null, jurCell(r.jurisdiction)),
      h('td', { class: 'num' }, h('strong', { text: fmt(r.value) })),
      h('td', null, h('span', { class: 'num-inline', text: fmt(r.source_value, 4) }), ' ',
        h('code', { class: 'small', text: r.source_indicator }), h('span', { class: 'muted small', text: r.source_version ? ` v${r.source_version}` : '' })),
      h('td', { class: 'num', text: fmt(r.z_score, 2) }), h('td', { class: 'num', text: fmt(r.minmax, 1) }),
      h('td', { class: 'num', text: fmt(r.distance_to_frontier) }), h('td', { class: 'num', text: fmt(r.peer_median) }),
      h('td', { class: 'num ' + good, title: r.previous_value !== undefined ? t('col.previous', { v: fmt(r.previous_value), doc: short(r.previous_document) }) : null, text: signed(r.change) }),
      h('td', null, flagBadges(r.flags)), h('td', null, cwCell), h('td', null, hashCode(r.document)));
  }

  function downloadButton(label, path, fallbackName) {
    const btn = h('button', { type: 'button', class: 'btn', text: label });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        const resp = await api(path, { raw: true });
        const blob = await resp.blob();
        const m = /filename="?([^";]+)"?/.exec(resp.headers.get('Content-Disposition') || '');
        const a = h('a', { href: URL.createObjectURL(blob), download: m ? m[1] : fallbackName, class: 'hidden' });
        document.body.append(a);
        a.click();
        setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      } catch (e) {
        fail(e, $('#main .page') || $('#main'));
      } finally { btn.disabled = false; }
    });
    return btn;
  }

  // ---------------------------------------------------------------- page: trend

  async function pageTrend(ctx) {
    const cat = await loadCatalogue();
    if (!ctx.alive()) return;
    const indicator = defaultIndicator(ctx.params, cat);
    if (!indicator) throw new Error(t('err.noindicators'));
    const kinds = [...new Set(cat.periods.map(periodKind))];
    const freq = kinds.includes(ctx.params.get('freq')) ? ctx.params.get('freq') : (kinds.includes('Y') ? 'Y' : kinds[0]);
    const periods = cat.periods.filter((p) => periodKind(p) === freq);
    settle('trend', new URLSearchParams({ indicator, ...(kinds.length > 1 ? { freq } : {}) }));

    const update = () => {
      const p = new URLSearchParams();
      p.set('indicator', $('#pick-indicator').value);
      if ($('#pick-freq')) p.set('freq', $('#pick-freq').value);
      go('trend', p);
    };
    const controls = h('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); update(); } },
      field(t('cmp.indicator'), indicatorSelect(withCurrent(cat.indicators, indicator), indicator, update), 'wide'),
      kinds.length > 1 ? field(t('trend.freq'), h('select', { id: 'pick-freq', value: freq, onchange: update },
        kinds.map((k) => h('option', { value: k, text: tOr('freq.' + k, k) })))) : null);
    ctx.view.replaceChildren(controls, h('p', { class: 'loading', text: t('loading') }));
    const cmps = await mapLimit(periods, 4, (p) =>
      api(`/comparisons?indicator=${encodeURIComponent(indicator)}&period=${encodeURIComponent(p)}`));
    if (!ctx.alive()) return;
    state.lastIndicator = indicator;
    const withData = cmps.filter((c) => c.rows.length);

    // One series per jurisdiction, in member order.
    const codes = [];
    for (const c of cmps) for (const r of c.rows) if (!codes.includes(r.jurisdiction)) codes.push(r.jurisdiction);
    codes.sort((a, b) => (state.members.indexOf(a) + 1 || 99) - (state.members.indexOf(b) + 1 || 99));
    const series = codes.map((code) => ({ code, label: jurName(code), color: colorOf(code),
      points: cmps.map((c) => { const r = c.rows.find((x) => x.jurisdiction === code); return r ? { period: c.period, value: r.value, rank: r.rank, flags: r.flags || [] } : null; }) }));
    series.push({ code: '', label: t('median_line'), color: '#8a8f98', dashed: true,
      points: cmps.map((c) => (c.median !== undefined ? { period: c.period, value: c.median, flags: [] } : null)) });
    const unit = unitLabel(cmps[0] ? cmps[0].unit : '');
    const direction = cmps[0] ? cmps[0].direction : '';

    const tableRows = codes.map((code) => h('tr', { dataset: { jurisdiction: code } },
      h('td', null, jurCell(code)),
      cmps.map((c) => {
        const r = c.rows.find((x) => x.jurisdiction === code);
        const miss = (c.missing || []).find((m) => m.jurisdiction === code);
        if (!r) return h('td', { class: 'num muted', title: miss ? miss.reason : null, text: '–' });
        return h('td', { class: 'num' + ((r.flags || []).length ? ' flagged-cell' : ''), title: (r.flags || []).map((f) => tOr('flag.' + f, f)).join(', ') || null },
          fmt(r.value), r.rank !== undefined ? h('sup', { class: 'rank', text: ` #${r.rank}` }) : h('sup', { class: 'rank', text: ' ⚑' }));
      })));
    tableRows.push(h('tr', { class: 'total' }, h('th', { scope: 'row', text: t('cmp.median') }),
      cmps.map((c) => h('td', { class: 'num', text: fmt(c.median) }))));

    ctx.view.replaceChildren(controls, card(null,
      h('div', { class: 'headline' }, h('h2', { text: t('trend.heading', { name: indicatorName(indicator) }) }),
        h('p', { class: 'muted', text: `${unit} · ${tOr('dir.' + direction, direction)}` })),
      withData.length ? lineChart(periods, series, unit) : h('p', { class: 'muted', text: t('trend.nodata') }),
      table([[t('jurisdiction')], ...periods.map((p) => [p, 'num'])], tableRows, 'trend-table'),
      h('p', { class: 'muted small', text: t('trend.hollow') }),
      h('p', { class: 'manifest small' }, h('span', { class: 'muted', text: t('cmp.manifest') + ': ' }),
        cmps.map((c) => h('span', { class: 'manifest-item', title: c.manifest }, `${c.period} `, h('code', { text: short(c.manifest) }), '  ')))));
  }

  // ----------------------------------------------------------- page: recognition

  /** What one jurisdiction's cell says about one crosswalk record. */
  function recognitionCell(rec, code) {
    const current = (rec.endorsements || []).filter((e) => e.jurisdiction === code && e.current)
      .sort((a, b) => String(b.issued_at).localeCompare(String(a.issued_at)))[0];
    const roles = [];
    let needed = false;
    for (const side of rec.sides || []) {
      const isOwner = side.owner === code;
      const isMember = side.owner && state.alliances.has(side.owner) && allianceMembers(side.owner).includes(code);
      if (isOwner) roles.push(t('rec.side.' + side.side));
      else if (isMember) roles.push(`${t('rec.side.' + side.side)} (${t('rec.member_of', { a: side.owner })})`);
      if ((isOwner || isMember) && !side.satisfied && !side.blocked && rec.status === 'pending') needed = true;
    }
    const why = roles.join('; ');
    if (current) {
      const ok = current.decision === 'accept';
      const title = [`${jurName(code)} (${code}): ${t(ok ? 'rec.accepted' : 'rec.rejected')}`, when(current.issued_at),
        current.comment ? `“${current.comment}”` : '', why, current.hash].filter(Boolean).join('\n');
      return h('td', { class: 'cell ' + (ok ? 'cell-yes' : 'cell-no'), title, dataset: { jurisdiction: code, cell: ok ? 'accepted' : 'rejected' } },
        h('span', { 'aria-hidden': 'true', text: ok ? '✓' : '✗' }), h('span', { class: 'sr', text: t(ok ? 'rec.accepted' : 'rec.rejected') }));
    }
    if (needed) {
      return h('td', { class: 'cell cell-needed', title: `${jurName(code)} (${code}): ${t('rec.needed')}\n${why}`, dataset: { jurisdiction: code, cell: 'needed' } },
        h('span', { text: t('rec.needed') }));
    }
    return h('td', { class: 'cell cell-blank', title: why || null, dataset: { jurisdiction: code, cell: '' } });
  }
  function allianceMembers(id) {
    return state.allianceMembers && state.allianceMembers.get(id) || [];
  }

  async function pageRecognition(ctx) {
    const status = ctx.params.get('status') || '';
    const [cat, list] = await Promise.all([loadCatalogue(),
      api('/crosswalks' + (status ? '?status=' + encodeURIComponent(status) : ''))]);
    if (!ctx.alive()) return;
    state.allianceMembers = new Map(((cat.rosters && cat.rosters.rosters) || []).map((r) => [(r.roster || r).alliance, ((r.roster || r).members || []).map((m) => m.code)]));
    for (const a of cat.node.alliances || []) if (!state.allianceMembers.has(a.id)) state.allianceMembers.set(a.id, a.members || []);
    const records = (list.crosswalks || []).slice().sort((a, b) =>
      String(a.crosswalk.target).localeCompare(String(b.crosswalk.target)) || String(a.crosswalk.id).localeCompare(String(b.crosswalk.id)) || a.crosswalk.version - b.crosswalk.version);
    // Columns: every alliance member, then anyone else who owns a side or endorsed.
    const cols = [...state.members];
    for (const r of records) {
      for (const e of r.endorsements || []) if (!cols.includes(e.jurisdiction)) cols.push(e.jurisdiction);
      for (const sd of r.sides || []) if (sd.owner && /^\d{6}$/.test(sd.owner) && !cols.includes(sd.owner)) cols.push(sd.owner);
    }
    const update = () => { const p = new URLSearchParams(); const v = $('#pick-status').value; if (v) p.set('status', v); go('recognition', p); };
    const controls = h('form', { class: 'controls', onsubmit: (e) => e.preventDefault() },
      field(t('rec.filter'), h('select', { id: 'pick-status', value: status, onchange: update },
        h('option', { value: '', text: t('rec.all') }),
        ['recognised', 'pending', 'rejected', 'superseded'].map((st) => h('option', { value: st, text: t('status.' + st) })))));

    const rows = records.map((rec) => {
      const c = rec.crosswalk;
      const src = c.source ? `${c.source.framework}/${c.source.indicator}` : '?';
      return h('tr', { class: 'row-' + rec.status, title: rec.why || null, dataset: { crosswalk: c.id } },
        h('td', null, h('code', { text: c.id }), h('div', { class: 'small muted' }, `${t('issuer')}: `, jurName(rec.issuer))),
        h('td', { class: 'num', text: String(c.version) }),
        h('td', null, h('code', { class: 'small', text: src }), c.source && c.source.versions ? h('span', { class: 'muted small', text: ` (${c.source.versions})` }) : null,
          ' → ', h('code', { class: 'small', title: indicatorName(c.target), text: c.target })),
        h('td', null, tOr('rel.' + c.relation, c.relation)), h('td', null, statusBadge(rec.status)),
        cols.map((code) => recognitionCell(rec, code)));
    });
    const counts = {};
    for (const r of records) counts[r.status] = (counts[r.status] || 0) + 1;
    const legend = h('p', { class: 'legend small' }, h('strong', { text: t('rec.legend') + ': ' }),
      h('span', { class: 'cell-yes lg', text: '✓' }), ` ${t('rec.accepted')}  `, h('span', { class: 'cell-no lg', text: '✗' }), ` ${t('rec.rejected')}  `,
      h('span', { class: 'cell-needed lg', text: t('rec.needed') }), ` ${t('status.pending')}  `, h('span', { class: 'cell-blank lg', text: '\u00a0' }), ` ${t('rec.blank')}`);

    ctx.view.replaceChildren(controls, card(t('nav.recognition'),
      statusChart(counts),
      records.length ? table([[t('rec.crosswalk')], [t('version'), 'num'], [t('rec.mapping')], [t('rec.relation')], [t('rec.status')],
        ...cols.map((code) => [h('span', { title: code }, jurName(code), h('br'), h('span', { class: 'code muted', text: code })), 'cell-head'])],
      rows, 'matrix') : h('p', { class: 'muted', text: t('rec.empty') }), legend));
  }

  // ------------------------------------------------------- page: public rating

  /** A stacked bar of the five levels, 5 first. */
  function levelBar(dist, n) {
    const colors = { 5: '#1e7b3a', 4: '#6aa84f', 3: '#c9a227', 2: '#e07b39', 1: '#b3261e' };
    let x = 0;
    const parts = [];
    for (let level = 5; level >= 1; level--) {
      const w = n ? (100 * dist[level - 1]) / n : 0;
      if (w > 0) parts.push(s('rect', { x, y: 0, width: w, height: 10, fill: colors[level] },
        s('title', { text: `${level}: ${dist[level - 1]}` })));
      x += w;
    }
    return s('svg', { class: 'levelbar', viewBox: '0 0 100 10', width: 120, height: 12, preserveAspectRatio: 'none',
      role: 'img', 'aria-label': dist.slice().reverse().join(' / ') }, ...parts);
  }

  async function pagePublic(ctx) {
    const overdueOnly = ctx.params.get('status') === 'overdue';
    const [pub, tasks, all] = await Promise.all([
      fetch('/public/v1/projects', { cache: 'no-store' }).then((r) => r.json()),
      api('/tasks' + (overdueOnly ? '?status=overdue' : '')),
      overdueOnly ? api('/tasks') : null,
    ]);
    if (!ctx.alive()) return;
    const everyTask = (all || tasks).tasks || [];
    const projects = pub.projects || [];
    const nameOf = new Map(projects.map((p) => [p.project.id, p]));
    const shown = projects.filter((p) => p.score);
    const kpis = h('div', { class: 'kpis' },
      kpi(t('pub.projects'), String(projects.length)),
      kpi(t('pub.rated'), String(shown.length)),
      kpi(t('pub.ratings'), String(shown.reduce((a, p) => a + p.score.n, 0))),
      kpi(t('pub.open'), String(everyTask.filter((x) => x.status === 'open' || x.status === 'responded').length)),
      kpi(t('pub.overdue'), String(everyTask.filter((x) => x.overdue).length)));
    const rows = projects.map((p) => {
      const sc = p.score;
      const ms = p.project.milestones || [];
      const prog = ms.length ? ms.reduce((a, m) => a + m.progress, 0) / ms.length : null;
      return h('tr', { dataset: { project: p.project.id } },
        h('td', null, (state.lang === 'zh' ? p.project.name_zh : p.project.name_en),
          h('div', { class: 'small muted' }, h('code', { text: p.project.id }))),
        h('td', { text: state.lang === 'zh' ? p.unit_name_zh : p.unit_name_en }),
        h('td', { text: p.project.category }),
        h('td', { class: 'num', text: sc ? String(sc.n) : t('pub.below', { k: pub.k }) }),
        h('td', { class: 'num' }, sc ? h('strong', { text: fmt(sc.shrunk, 3) }) : '–'),
        h('td', { class: 'num', text: sc ? fmt(sc.raw_mean, 3) : '–' }),
        h('td', { class: 'num', text: sc ? `${fmt(100 * sc.satisfied_share, 3)}% (${fmt(100 * sc.satisfied_interval[0], 3)}–${fmt(100 * sc.satisfied_interval[1], 3)}%)` : '–' }),
        h('td', null, sc ? levelBar(sc.distribution, sc.n) : '–'),
        h('td', { class: 'num', text: prog === null ? '–' : `${fmt(prog, 3)}%` }));
    });
    const taskRows = (tasks.tasks || []).map((x) => {
      const p = nameOf.get(x.project);
      const st = h('td', null, badge(t('task.' + x.status), 'task-' + x.status),
        x.overdue ? badge(t('task.overdue'), 'task-overdue') : null,
        x.response && x.response.late ? badge(t('task.late'), 'task-late') : null);
      return h('tr', { class: x.overdue ? 'row-overdue' : null, dataset: { task: String(x.id), status: x.status, overdue: String(!!x.overdue) } },
        h('td', { class: 'num', text: String(x.id) }),
        h('td', { text: p ? (state.lang === 'zh' ? p.project.name_zh : p.project.name_en) : x.project }),
        h('td', { text: p ? (state.lang === 'zh' ? p.unit_name_zh : p.unit_name_en) : x.unit }),
        h('td', { class: 'num', text: String(x.level) }),
        h('td', { text: String(x.opened).slice(0, 10) }),
        h('td', { text: x.due }),
        st,
        h('td', { class: 'small', text: x.response ? `${x.response.text} (${x.response.by})` : '–' }),
        h('td', { class: 'small', text: x.callback ? `${tOr('cb.' + x.callback.result, x.callback.result)}${x.callback.note ? ': ' + x.callback.note : ''}` : '–' }));
    });
    const filter = h('p', { class: 'controls' }, h('a', {
      href: hashFor('public', overdueOnly ? new URLSearchParams() : new URLSearchParams('status=overdue')),
      text: overdueOnly ? t('pub.all') : t('pub.filter'), dataset: { filter: overdueOnly ? 'all' : 'overdue' } }));
    ctx.view.replaceChildren(kpis,
      card(t('pub.projects'),
        h('p', { class: 'muted small' }, t('pub.method', { c: pub.prior_weight, k: pub.k }), h('a', { href: '/public/', text: '/public/' })),
        table([[t('pub.project')], [t('pub.unit')], [t('pub.category')], [t('pub.n'), 'num'], [t('pub.score'), 'num'],
          [t('pub.raw'), 'num'], [t('pub.sat'), 'num'], [t('pub.dist')], [t('pub.progress'), 'num']], rows, 'public-projects')),
      card(t('pub.tasks'), filter,
        taskRows.length ? table([[t('pub.task'), 'num'], [t('pub.project')], [t('pub.unit')], [t('pub.level'), 'num'],
          [t('pub.opened')], [t('pub.due')], [t('pub.status')], [t('pub.response')], [t('pub.callback')]], taskRows, 'public-tasks')
          : h('p', { class: 'muted', text: t('pub.notasks') })));
  }

  // ----------------------------------------------------------------- page: twin

  /**
   * A fan chart of one unit and indicator: the year to date at the last
   * observed month, then fans to the year-end intervals at 95%, 80% and
   * 50% (widest, palest first), the forecast path, and the target as a line.
   */
  function fanChart(f, fans) {
    const months = f.observed_months || [];
    const m0 = months.length ? months[months.length - 1] : 0;
    const y0 = typeof f.year_to_date === 'number' ? f.year_to_date : f.forecast;
    const bands = fans.filter((b) => typeof b.lower === 'number' && typeof b.upper === 'number');
    const vals = [y0, f.forecast, f.target, ...bands.flatMap((b) => [b.lower, b.upper])].filter((v) => typeof v === 'number' && Number.isFinite(v));
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (hi === lo) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.08;
    lo -= pad; hi += pad;
    const W = 220, H = 64;
    const x = (m) => 4 + ((W - 8) * m) / 12;
    const y = (v) => H - 4 - ((H - 8) * (v - lo)) / (hi - lo);
    const kids = [s('line', { x1: x(0), x2: x(12), y1: H - 4, y2: H - 4, class: 'axis' })];
    bands.sort((a, b) => b.level - a.level).forEach((b) => {
      const pts = `${x(m0)},${y(y0)} ${x(12)},${y(b.upper)} ${x(12)},${y(b.lower)}`;
      kids.push(s('polygon', { points: pts, class: 'fan fan-' + Math.round(b.level * 100), dataset: { level: String(b.level) } },
        s('title', { text: `${Math.round(b.level * 100)}%: ${fmt(b.lower, 4)} – ${fmt(b.upper, 4)}` })));
    });
    if (typeof f.target === 'number') {
      kids.push(s('line', { x1: x(0), x2: x(12), y1: y(f.target), y2: y(f.target), class: 'target' }, s('title', { text: `${t('twin.target')} ${fmt(f.target, 4)}` })));
    }
    kids.push(s('line', { x1: x(m0), x2: x(12), y1: y(y0), y2: y(f.forecast), class: 'path' }));
    kids.push(s('circle', { cx: x(m0), cy: y(y0), r: 3, class: 'ytd' }, s('title', { text: `${t('twin.ytd')} ${fmt(y0, 4)}` })));
    kids.push(s('circle', { cx: x(12), cy: y(f.forecast), r: 4, class: 'point' }, s('title', { text: fmt(f.forecast, 4) })));
    // A level without an interval (too few calibration errors for it) is
    // named with the node's reason rather than drawn.
    const missing = fans.filter((b) => typeof b.lower !== 'number');
    if (missing.length) {
      kids.unshift(s('title', { text: missing.map((b) => `${Math.round(b.level * 100)}%: ${t('twin.nointerval')} (${b.interval_note || ''})`).join('\n') }));
    }
    return s('svg', { class: 'fanchart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
      dataset: { missing: missing.map((b) => String(b.level)).join(' ') },
      'aria-label': `${t('twin.ytd')} ${fmt(y0, 4)} → ${fmt(f.forecast, 4)}; ${bands.map((b) => `${Math.round(b.level * 100)}% [${fmt(b.lower, 4)}, ${fmt(b.upper, 4)}]`).join('; ')}` }, ...kids);
  }

  /** The forecast commitments held for the year, one row each, with their scores. */
  function skillCard(skill) {
    const rows = (skill.commitments || []).map((c) => h('tr', { dataset: { commitment: c.commitment, status: c.status, issuer: c.issuer } },
      h('td', null, jurLabel(c.issuer)), h('td', null, h('code', { text: c.framework })), h('td', { text: c.as_of }),
      h('td', null, badge(t('twin.status.' + c.status), c.status === 'scored' ? 'task-closed' : 'task-open')),
      h('td', { class: 'num', text: `${c.scored}/${(c.indicators || []).length}` }),
      h('td', { class: 'num', text: typeof c.coverage === 'number' ? `${fmt(c.coverage * 100, 3)}% (${Math.round(c.level * 100)}%)` : '–' }),
      h('td', { class: 'num', text: typeof c.mean_relative_interval_score === 'number' ? fmt(c.mean_relative_interval_score, 3) : '–' }),
      h('td', { class: 'small', text: (c.indicators || []).map((i) => `${i.indicator} ${fmt(i.forecast, 4)} [${fmt(i.lower, 4)}, ${fmt(i.upper, 4)}]${typeof i.actual === 'number' ? ` → ${fmt(i.actual, 4)}${i.covered ? ' ✓' : ' ✗'}` : ''}`).join('; ') })));
    return card(t('twin.skill'), h('p', { class: 'muted small', text: t('twin.skill.hint') }),
      rows.length ? table([[t('issuer')], [t('framework')], [t('twin.asof')], [t('twin.status')], [t('twin.scored'), 'num'], [t('twin.coverage'), 'num'], [t('twin.ris'), 'num'], [t('indicators')]], rows, 'twin-skill')
        : h('p', { class: 'muted', text: t('twin.noskill') }));
  }

  // The node's main appraisal framework: of its own, the one with the most
  // indicators (frameworks valued by ratings or requests have one or two).
  function mainFramework(own) {
    return own.reduce((best, f) => (f.indicators > best.indicators ? f : best), own[0]).id;
  }

  async function pageTwin(ctx) {
    const [node, fws] = await Promise.all([cached('node', () => api('/node')), cached('frameworks', () => api('/frameworks'))]);
    if (!ctx.alive()) return;
    const self = node.jurisdiction && node.jurisdiction.code;
    const own = (fws.frameworks || []).filter((f) => f.owner && f.owner.jurisdiction === self);
    const ids = [...new Set(own.map((f) => f.id))];
    if (!ids.length) {
      ctx.view.replaceChildren(card(t('twin.forecasts'), h('p', { class: 'muted', text: t('twin.noforecasts') })));
      return;
    }
    const fw = ctx.params.get('framework') && ids.includes(ctx.params.get('framework')) ? ctx.params.get('framework') : mainFramework(own);
    const years = [...new Set(own.filter((f) => f.id === fw).flatMap((f) => f.periods).filter((p) => /^[0-9]{4}$/.test(p)))].sort();
    const period = ctx.params.get('period') && /^[0-9]{4}$/.test(ctx.params.get('period')) ? ctx.params.get('period') : years[years.length - 1];
    const q = `?framework=${encodeURIComponent(fw)}&period=${encodeURIComponent(period)}`;
    const [fc, fc50, fc95, wl, skill] = await Promise.all([api('/forecasts' + q), api('/forecasts' + q + '&level=0.5'),
      api('/forecasts' + q + '&level=0.95'), api('/warnings' + q), api('/forecast-skill?period=' + encodeURIComponent(period))]);
    if (!ctx.alive()) return;
    const key = (f) => f.unit + '\u0000' + f.indicator;
    const byKey = (list) => new Map((list.forecasts || []).map((f) => [key(f), f]));
    const [at50, at95] = [byKey(fc50), byKey(fc95)];
    const fansOf = (f) => [at95.get(key(f)), f, at50.get(key(f))].filter(Boolean);
    const go2 = (k, v) => { const p = new URLSearchParams(ctx.params); p.set(k, v); location.hash = hashFor('twin', p); };
    const fwSel = h('select', { 'data-control': 'framework', onchange: (e) => go2('framework', e.target.value) },
      ids.map((id) => h('option', { value: id, selected: id === fw, text: id })));
    const yrSel = h('select', { 'data-control': 'period', onchange: (e) => go2('period', e.target.value) },
      years.map((y) => h('option', { value: y, selected: y === period, text: y })));
    const warnings = wl.warnings || [];
    const warnRows = warnings.map((w) => h('tr', { dataset: { warning: w.id, kind: w.kind, acknowledged: String(!!w.acknowledged) } },
      h('td', null, badge(t('twin.kind.' + w.kind), w.kind === 'debt_band' ? 'task-overdue' : 'task-open')),
      h('td', { text: w.unit || (w.jurisdiction ? jurName(w.jurisdiction) : '–') }),
      h('td', { text: w.indicator || String(w.period) }),
      h('td', { class: 'num', text: typeof w.p_miss === 'number' ? fmt(w.p_miss, 2) : '–' }),
      h('td', { class: 'small', text: w.trigger }),
      h('td', { class: 'small', text: w.acknowledged ? `${w.acknowledged.action} (${w.acknowledged.by})` : t('twin.unacked') })));
    const rows = (fc.forecasts || []).map((f) => h('tr', { dataset: { unit: f.unit, indicator: f.indicator, warned: String(typeof f.p_miss === 'number' && f.p_miss > wl.p_miss_threshold) } },
      h('td', { text: f.unit }), h('td', null, h('code', { text: f.indicator })),
      h('td', { class: 'num', text: (f.observed_months || []).length ? `${f.observed_months[0]}–${f.observed_months[f.observed_months.length - 1]}` : '–' }),
      h('td', { class: 'num', text: fmt(f.year_to_date, 4) }),
      h('td', { class: 'num' }, h('strong', { text: fmt(f.forecast, 4) })),
      h('td', { class: 'num', title: f.interval_note || null, text: typeof f.lower === 'number' ? `${fmt(f.lower, 4)} – ${fmt(f.upper, 4)}` : t('twin.nointerval') }),
      h('td', { class: 'num', text: fmt(f.target, 4) }),
      h('td', { class: 'num', title: f.p_miss_note || null, text: typeof f.p_miss === 'number' ? fmt(f.p_miss, 2) : '–' }),
      h('td', null, fanChart(f, fansOf(f))),
      h('td', { class: 'small', text: f.method })));
    const without = (fc.without || []).length;
    ctx.view.replaceChildren(
      h('p', { class: 'controls' }, field(t('twin.framework'), fwSel), field(t('twin.period'), yrSel)),
      h('div', { class: 'kpis' }, kpi(t('twin.warnings'), String(warnings.length)), kpi(t('twin.forecasts'), String(rows.length))),
      card(t('twin.warnings'), h('p', { class: 'muted small', text: t('twin.threshold', { p: wl.p_miss_threshold }) }),
        warnRows.length ? table([[t('twin.kind')], [t('twin.unit')], [t('twin.indicator')], [t('twin.pmiss'), 'num'], [t('twin.trigger')], [t('twin.ack')]], warnRows, 'twin-warnings')
          : h('p', { class: 'muted', text: t('twin.nowarnings') })),
      card(t('twin.forecasts'),
        rows.length ? table([[t('twin.unit')], [t('twin.indicator')], [t('twin.months'), 'num'], [t('twin.ytd'), 'num'], [t('twin.forecast'), 'num'],
          [t('twin.interval', { level: Math.round(100 * fc.level) }), 'num'], [t('twin.target'), 'num'], [t('twin.pmiss'), 'num'], [t('twin.fan')], [t('twin.method')]], rows, 'twin-forecasts')
          : h('p', { class: 'muted', text: t('twin.noforecasts') }),
        without ? h('p', { class: 'muted small', text: t('twin.without', { n: without }) }) : null),
      skillCard(skill));
  }

  // -------------------------------------------------------------- page: whatif

  async function pageWhatif(ctx) {
    const [node, fws] = await Promise.all([cached('node', () => api('/node')), cached('frameworks', () => api('/frameworks'))]);
    if (!ctx.alive()) return;
    const self = node.jurisdiction && node.jurisdiction.code;
    const own = (fws.frameworks || []).filter((f) => f.owner && f.owner.jurisdiction === self);
    const ids = [...new Set(own.map((f) => f.id))];
    if (!ids.length) {
      ctx.view.replaceChildren(card(t('whatif.title'), h('p', { class: 'muted', text: t('twin.noforecasts') })));
      return;
    }
    const fw = ctx.params.get('framework') && ids.includes(ctx.params.get('framework')) ? ctx.params.get('framework') : mainFramework(own);
    const periods = [...new Set(own.filter((f) => f.id === fw).flatMap((f) => f.periods))].sort(comparePeriods);
    const period = ctx.params.get('period') && periods.includes(ctx.params.get('period')) ? ctx.params.get('period') : periods[periods.length - 1];
    const go2 = (k, v) => { const p = new URLSearchParams(ctx.params); p.set(k, v); location.hash = hashFor('whatif', p); };
    const fwSel = h('select', { 'data-control': 'framework', onchange: (e) => go2('framework', e.target.value) },
      ids.map((id) => h('option', { value: id, selected: id === fw, text: id })));
    const pSel = h('select', { 'data-control': 'period', onchange: (e) => go2('period', e.target.value) },
      periods.map((p) => h('option', { value: p, selected: p === period, text: p })));
    const area = h('textarea', { 'data-control': 'changes', rows: 10, cols: 80, spellcheck: 'false', class: 'json-input' });
    area.value = ctx.params.get('changes') || '{}';
    const out = h('div', { class: 'whatif-result' });
    const show = (e) => {
      const msg = e instanceof ApiError && e.status === 403 ? t('whatif.admin') : (e.detail || e.message);
      out.replaceChildren(errorBox(msg, e.title));
      out.dataset.state = 'error';
    };
    const assume = async () => {
      if (!/^[0-9]{4}$/.test(period)) return;
      try {
        const fc = await api(`/forecasts?framework=${encodeURIComponent(fw)}&period=${encodeURIComponent(period)}`);
        let changes = {};
        try { changes = JSON.parse(area.value || '{}'); } catch { changes = {}; }
        changes.values = (fc.forecasts || []).map((f) => ({ unit: f.unit, indicator: f.indicator, value: Math.round(f.forecast * 1e4) / 1e4 }));
        area.value = JSON.stringify(changes, null, 2);
        area.dataset.assumed = String(changes.values.length);
      } catch (e) { show(e); }
    };
    const run = async () => {
      let changes;
      try { changes = JSON.parse(area.value || '{}'); } catch (e) {
        out.replaceChildren(errorBox(t('whatif.badjson', { msg: e.message })));
        out.dataset.state = 'error';
        return;
      }
      out.dataset.state = 'running';
      out.replaceChildren(h('p', { class: 'loading', text: t('loading') }));
      try {
        const r = await api('/whatif', { method: 'POST', body: { framework: fw, period, changes, draws: 200 } });
        const st = (x) => x ? [h('td', { class: 'num', text: fmt(x.total, 4) }), h('td', null, h('strong', { text: x.grade })),
          h('td', { class: 'num', text: fmt(x.pay_coefficient, 3) }), h('td', { class: 'num', text: `${x.rank} [${x.rank_interval[0]}–${x.rank_interval[1]}]` })]
          : [h('td', { text: '–' }), h('td', { text: '–' }), h('td', { text: '–' }), h('td', { text: '–' })];
        const rows = (r.units || []).map((u) => h('tr', { dataset: { unit: u.unit, changed: String(!!u.grade_changed) }, class: u.grade_changed ? 'changed' : null },
          h('td', { text: u.unit }), h('td', { text: u.category }), ...st(u.before), ...st(u.after)));
        out.replaceChildren(h('div', { class: 'kpis' }, kpi(t('whatif.changed'), String(r.grades_changed))),
          table([[t('twin.unit')], [t('whatif.category')],
            [t('whatif.before') + ' · ' + t('whatif.total'), 'num'], [t('whatif.grade')], [t('whatif.pay'), 'num'], [t('whatif.rank'), 'num'],
            [t('whatif.after') + ' · ' + t('whatif.total'), 'num'], [t('whatif.grade')], [t('whatif.pay'), 'num'], [t('whatif.rank'), 'num']], rows, 'whatif-units'));
        out.dataset.state = 'done';
      } catch (e) { show(e); }
    };
    ctx.view.replaceChildren(
      h('p', { class: 'controls' }, field(t('twin.framework'), fwSel), field(t('cmp.period'), pSel)),
      card(t('whatif.title'), h('p', { class: 'muted small', text: t('whatif.hint') }),
        field(t('whatif.changes'), area, 'wide'),
        h('p', null,
          h('button', { type: 'button', class: 'btn', 'data-action': 'assume', onclick: assume, disabled: !/^[0-9]{4}$/.test(period), text: t('whatif.assume') }),
          ' ',
          h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'run', onclick: run, text: t('whatif.run') })),
        out));
  }

  // ----------------------------------------------------------------- page: debt

  // ---------------------------------------------------------------- page: hotline

  /** H3 cells drawn as SVG hexagons (no map tiles), shaded by count, towns labelled. */
  function hexMap(cells) {
    const pts = cells.flatMap((c) => c.boundary);
    const lats = pts.map((p) => p[0]), longs = pts.map((p) => p[1]);
    const [la0, la1, lo0, lo1] = [Math.min(...lats), Math.max(...lats), Math.min(...longs), Math.max(...longs)];
    const k = Math.cos(((la0 + la1) / 2) * Math.PI / 180);
    const W = 640, span = Math.max((lo1 - lo0) * k, la1 - la0) || 1e-6;
    const sx = (lo) => 10 + ((W - 20) * (lo - lo0) * k) / span;
    const sy = (la) => 10 + ((W - 20) * (la1 - la)) / span;
    const H = Math.ceil(sy(la0) + 10);
    const max = Math.max(...cells.map((c) => c.count));
    const kids = cells.map((c) => {
      const shade = 0.15 + 0.85 * (c.count / max);
      return s('polygon', { class: 'hex', points: c.boundary.map((p) => `${sx(p[1]).toFixed(1)},${sy(p[0]).toFixed(1)}`).join(' '),
        fill: '#c83c1e', 'fill-opacity': shade.toFixed(3), dataset: { cell: c.cell, count: String(c.count) } },
        s('title', { text: `${c.count}${c.town ? ' · ' + c.town : ''} (${c.cell})` }));
    });
    const towns = new Map();
    for (const c of cells.filter((c) => c.town)) {
      const t0 = towns.get(c.town) || { n: 0, la: 0, lo: 0 };
      towns.set(c.town, { n: t0.n + c.count, la: t0.la + c.lat * c.count, lo: t0.lo + c.long * c.count });
    }
    for (const [town, t0] of towns) {
      kids.push(s('text', { class: 'town-label', x: sx(t0.lo / t0.n).toFixed(1), y: sy(t0.la / t0.n).toFixed(1), 'text-anchor': 'middle', text: town }));
    }
    return s('svg', { class: 'hexmap', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': t('hl.map') }, ...kids);
  }

  async function pageHotline(ctx) {
    let period = ctx.params.get('period');
    if (!period) {
      // The latest year holding requests, else this year.
      const held = await api('/hotline/months');
      if (!ctx.alive()) return;
      const last = (held.months || []).slice(-1)[0];
      period = last ? last.month.slice(0, 4) : String(new Date().getFullYear());
    }
    const category = ctx.params.get('category') || '';
    const resolution = ctx.params.get('resolution') || '8';
    const q = `?period=${encodeURIComponent(period)}`;
    const [map, depts, delta, node, rosters] = await Promise.all([
      api(`/hotline/heatmap${q}&resolution=${encodeURIComponent(resolution)}${category ? '&category=' + encodeURIComponent(category) : ''}`),
      api('/hotline/departments' + q), api('/hotline/delta' + q), cached('node', () => api('/node')), cached('rosters', () => api('/rosters'))]);
    if (!ctx.alive()) return;
    learnNames(node, rosters);
    const go2 = (k, v) => { const p = new URLSearchParams(ctx.params); p.set(k, v); location.hash = hashFor('hotline', p); };
    const pIn = h('input', { 'data-control': 'period', value: period, size: 8, onchange: (e) => go2('period', e.target.value.trim()) });
    const cIn = h('input', { 'data-control': 'category', value: category, size: 14, onchange: (e) => go2('category', e.target.value.trim()) });
    const rSel = h('select', { 'data-control': 'resolution', onchange: (e) => go2('resolution', e.target.value) },
      ['6', '7', '8', '9'].map((r) => h('option', { value: r, selected: r === resolution, text: r })));
    const rate = (x) => (typeof x === 'number' ? `${fmt(x * 100, 3)}%` : '–');
    const pair = (p) => `${p.p50 == null ? '–' : fmt(p.p50, 3)} / ${p.p90 == null ? '–' : fmt(p.p90, 3)}`;
    const rows = (depts.departments || []).map((d) => h('tr', { class: d.category ? 'sub' : 'dept', dataset: { department: d.department, category: d.category || '' } },
      h('td', null, d.category ? '' : h('strong', { text: d.department })), h('td', { text: d.category || t('hl.all') }),
      h('td', { class: 'num', text: String(d.requests) }), h('td', { class: 'num', text: pair(d.response_hours) }),
      h('td', { class: 'num', text: pair(d.close_hours) }), h('td', { class: 'num', text: String(d.open) }),
      h('td', { class: 'num', text: rate(d.within_sla) }), h('td', { class: 'num', text: rate(d.closure_rate) }),
      h('td', { class: 'num', text: rate(d.resolution_rate) }),
      h('td', { class: 'num', text: typeof d.satisfaction === 'number' ? `${fmt(d.satisfaction, 3)} (${d.rated})` : '–' }),
      h('td', { class: 'small', text: Object.entries(d.flagged || {}).map(([f, n]) => `${tOr('hl.flag.' + f, f)} ${n}`).join('; ') || '–' })));
    const share = (n, of) => (of ? `${fmt((100 * n) / of, 3)}%` : '–');
    const memberRows = (delta.members || []).map((m) => {
      const s = m.summary;
      const sum = (f) => s.categories.reduce((a, c) => a + c[f], 0);
      const top = s.categories.slice().sort((a, b) => b.requests - a.requests).slice(0, 3).map((c) => `${c.category} ${c.requests}`).join(', ');
      return h('tr', { dataset: { issuer: m.issuer, hash: m.hash } }, h('td', null, jurCell(m.issuer)), h('td', { class: 'num', text: String(s.requests) }),
        h('td', { text: top }), h('td', { class: 'num', text: share(sum('within_sla'), sum('with_sla')) }),
        h('td', { class: 'num', text: share(sum('closed'), s.requests) }), h('td', { class: 'num', text: share(sum('resolved'), s.requests) }),
        h('td', { class: 'num', text: `${s.cells.length} (${s.withheld_cells})` }));
    });
    const townRows = (map.towns || []).map((x) => h('tr', { dataset: { town: x.town } }, h('td', { text: x.town }), h('td', { class: 'num', text: String(x.count) })));
    ctx.view.replaceChildren(
      h('p', { class: 'controls' }, field(t('hl.period'), pIn), field(t('hl.category'), cIn), field(t('hl.resolution'), rSel)),
      card(t('hl.map'), h('p', { class: 'muted small', text: t('hl.requests', { n: map.requests, w: map.without_coordinates }) }),
        (map.cells || []).length ? hexMap(map.cells) : h('p', { class: 'muted', text: t('hl.nomap') }),
        townRows.length ? table([[t('hl.towns')], [t('hl.n'), 'num']], townRows, 'hotline-towns') : null),
      card(t('hl.depts'), h('p', { class: 'muted small', text: t('hl.km') }),
        rows.length ? table([[t('hl.dept')], [t('hl.cat')], [t('hl.n'), 'num'], [t('hl.resp'), 'num'], [t('hl.close'), 'num'], [t('hl.open'), 'num'],
          [t('hl.sla'), 'num'], [t('hl.closure'), 'num'], [t('hl.resolution_rate'), 'num'], [t('hl.sat'), 'num'], [t('hl.flags')]], rows, 'hotline-departments')
          : h('p', { class: 'muted', text: t('hl.nodepts') })),
      card(t('hl.delta'), memberRows.length ? table([[t('hl.member')], [t('hl.n'), 'num'], [t('hl.top')], [t('hl.sla'), 'num'], [t('hl.closure'), 'num'],
        [t('hl.resolution_rate'), 'num'], [t('hl.cells'), 'num']], memberRows, 'hotline-delta') : h('p', { class: 'muted', text: t('hl.nodelta') })));
  }

  async function pageDebt(ctx) {
    const [node, rosters, risk] = await Promise.all([cached('node', () => api('/node')), cached('rosters', () => api('/rosters')), api('/debt-risk')]);
    if (!ctx.alive()) return;
    learnNames(node, rosters);
    const rows = risk.rows || [];
    const b = risk.bands;
    const legend = h('p', { class: 'legend small' },
      ['green', 'yellow', 'orange', 'red'].map((band) => {
        const range = { green: `< ${b.yellow}%`, yellow: `${b.yellow}–${b.orange}%`, orange: `${b.orange}–${b.red}%`, red: `≥ ${b.red}%` }[band];
        return h('span', { class: `band-chip band-${band}`, text: `${t('band.' + band)} ${range}` });
      }),
      h('span', { class: 'band-chip projected', text: t('debt.projected') }));
    const source = h('p', { class: 'muted small' }, t('debt.source'), h('span', { 'data-source': '', text: b.source }));
    if (!rows.length) {
      ctx.view.replaceChildren(card(t('debt.title'), h('p', { class: 'muted', text: t('debt.none') }), legend, source));
      return;
    }
    const periods = [...new Set(rows.map((r) => r.period))].sort(comparePeriods);
    const jurs = [...new Set(rows.map((r) => r.jurisdiction))];
    const head = h('tr', null, h('th', { scope: 'col', text: t('debt.jur') }), periods.map((p) => h('th', { scope: 'col', class: 'num', text: p })));
    const body = jurs.map((j) => h('tr', { dataset: { jurisdiction: j } }, h('th', { scope: 'row' }, jurLabel(j)),
      periods.map((p) => {
        const r = rows.find((x) => x.jurisdiction === j && x.period === p);
        if (!r) return h('td', { class: 'num muted', text: '–' });
        return h('td', { class: `num band band-${r.band}${r.projected ? ' projected' : ''}`,
          title: `${t('band.' + r.band)} · ${t('debt.service')} ${fmt(r.debt_service_ratio, 3)}%${r.projected ? ' · ' + t('debt.projected') : ''}`,
          dataset: { band: r.band, period: p, projected: String(r.projected) }, text: `${fmt(r.debt_ratio, 1)}%` });
      })));
    const heat = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table heatmap' }, h('thead', null, head), h('tbody', null, body)));
    const crossings = (risk.crossings || []).map((c) => h('li', { dataset: { rising: String(c.rising), period: c.period } },
      badge(c.rising ? t('debt.rising') : t('debt.falling'), c.rising ? 'task-overdue' : 'task-closed'), ' ',
      `${jurName(c.jurisdiction)} ${c.period}: ${t('band.' + c.from)} → ${t('band.' + c.to)}${c.projected ? ' (' + t('debt.projected') + ')' : ''}`));
    ctx.view.replaceChildren(card(t('debt.title'), legend, heat, source),
      card(t('debt.crossings'), crossings.length ? h('ul', { class: 'crossings' }, crossings) : h('p', { class: 'muted', text: t('debt.nocross') })));
  }

  // ------------------------------------------------------------- page: composite

  async function pageComposite(ctx) {
    const cat = await loadCatalogue();
    if (!ctx.alive()) return;
    if (!cat.indicators.length) throw new Error(t('err.noindicators'));
    const P = ctx.params;
    // Chosen indicators "ref:weight,ref:weight"; default: the first reference framework's, weight 1.
    let chosen = new Map();
    if (P.has('ind')) {
      for (const part of P.get('ind').split(',')) {
        const i = part.lastIndexOf(':');
        const ref = i > 0 ? part.slice(0, i) : part;
        const w = i > 0 ? Number(part.slice(i + 1)) : 1;
        if (ref) chosen.set(ref, Number.isFinite(w) ? w : 1);
      }
    } else {
      const fw = cat.indicators[0].framework;
      cat.indicators.filter((i) => i.framework === fw).forEach((i) => chosen.set(i.ref, 1));
    }
    const spec = {
      period: P.get('period') || state.lastPeriod || latestPeriod(cat),
      normalisation: P.get('norm') || 'min_max', aggregation: P.get('agg') || 'arithmetic',
      missing: P.get('missing') || 'exclude', draws: P.has('draws') ? Number(P.get('draws')) : 1000,
      seed: P.has('seed') ? Number(P.get('seed')) : 0, perturbation: P.has('p') ? Number(P.get('p')) : 0.5,
      include_flagged: P.get('flagged') === '1',
      indicators: [...chosen].map(([indicator, weight]) => ({ indicator, weight })),
    };
    state.lastPeriod = spec.period;
    const view = tableView(P);
    settle('composite', withView(specParams(spec), view));

    const form = compositeForm(cat, chosen, spec);
    ctx.view.replaceChildren(form, h('p', { class: 'loading', text: t('loading') }));
    if (!spec.indicators.length) { ctx.view.replaceChildren(form); throw new Error(t('err.pickone')); }
    const res = await api('/composites', { method: 'POST', body: spec });
    if (!ctx.alive()) return;

    const inds = res.indicators || [];
    const cols = [[t('col.rank'), 'num'], [t('jurisdiction')], [t('comp.index'), 'num'], [t('comp.interval'), 'num'], [t('comp.coverage'), 'num'],
      ...inds.map((i) => [h('span', { title: `${i.indicator} · ${t('comp.share', { s: fmt(i.share * 100, 1) + '%' })}` }, indicatorName(i.indicator),
        h('br'), h('span', { class: 'muted small', text: `× ${fmt(i.weight)} (${fmt(i.share * 100, 1)}%)` })), 'num'])];
    const rows = res.rows.map((r) => h('tr', { dataset: { jurisdiction: r.jurisdiction } },
      h('td', { class: 'num' }, h('strong', { text: String(r.rank) })),
      h('td', null, jurCell(r.jurisdiction)),
      h('td', { class: 'num' }, h('strong', { text: fmt(r.index, 2) })),
      h('td', { class: 'num', text: `${r.rank_interval[0]}–${r.rank_interval[1]}` }),
      h('td', { class: 'num', text: fmt(r.coverage * 100, 1) + '%' }),
      (r.scores || []).map((sc) => h('td', { class: 'num', text: fmt(sc, 2) }))));
    const excluded = res.excluded || [];
    const sorts = [{ id: 'rank', key: (r) => r.rank }, { id: 'jurisdiction', key: (r) => jurName(r.jurisdiction) },
      { id: 'index', key: (r) => r.index, desc: true }, { id: 'interval', key: (r) => r.rank_interval[1] - r.rank_interval[0] },
      { id: 'coverage', key: (r) => r.coverage, desc: true },
      ...inds.map((_, i) => ({ id: 'score' + i, key: (r) => (r.scores || [])[i], desc: true }))];
    const chart = chartBox();
    const tableEl = table(cols, rows, 'composite-table');
    const tools = filterBox(view, () => { apply(); });
    ctx.view.replaceChildren(form, card(null,
      h('div', { class: 'headline' }, h('h2', { text: `${t('nav.composite')}, ${res.period}` }),
        h('p', { class: 'muted', text: `${tOr('norm.' + res.normalisation, res.normalisation)} · ${tOr('agg.' + res.aggregation, res.aggregation)} · ${tOr('miss.' + res.missing, res.missing)} · ${t('comp.draws')} ${res.draws} · ${t('comp.seed')} ${res.seed} · ±${fmt(res.perturbation * 100, 1)}%` })),
      res.rows.length ? h('div', null, tools.el, chart) : h('p', { class: 'muted', text: t('comp.norows') }),
      tableEl,
      excluded.length ? h('div', { class: 'missing' }, h('h3', { text: t('comp.excluded') }),
        h('ul', null, excluded.map((x) => h('li', { dataset: { jurisdiction: x.jurisdiction } }, jurLabel(x.jurisdiction), ': ',
          [(x.lacks || []).length ? t('comp.lacks', { list: x.lacks.map(indicatorName).join(', ') }) : null,
            (x.flagged || []).length ? t('comp.flagged_only', { list: x.flagged.map(indicatorName).join(', ') }) : null]
            .filter(Boolean).join('; '))))) : null,
      h('div', { class: 'method' }, h('h3', { text: t('comp.method') }), h('p', { text: methodText(res) })),
      manifestLine(res.manifest, (res.inputs || []).length)));
    const apply = sortable(tableEl, res.rows, rows, sorts, view, (shown) => {
      const visible = res.rows.filter((r) => matches(r.jurisdiction, view.q));
      chart.replaceChildren(...(visible.length ? [intervalChart(visible, res.rows.length)] : []));
      tools.count.textContent = t('tbl.showing', { n: shown.length, m: res.rows.length });
      settle('composite', withView(specParams(spec), view));
    });
  }

  /** A composite request as hash parameters (ind=REF:WEIGHT,...). */
  function specParams(spec) {
    return new URLSearchParams({
      ind: spec.indicators.map((i) => `${i.indicator}:${i.weight}`).join(','),
      period: spec.period, norm: spec.normalisation, agg: spec.aggregation, missing: spec.missing,
      draws: String(spec.draws), seed: String(spec.seed), p: String(spec.perturbation),
      ...(spec.include_flagged ? { flagged: '1' } : {}),
    });
  }

  function compositeForm(cat, chosen, spec) {
    const checks = cat.indicators.map((ind) => {
      const on = chosen.has(ind.ref);
      return h('div', { class: 'ind-row' },
        h('label', { class: 'check' }, h('input', { type: 'checkbox', class: 'ind-check', value: ind.ref, checked: on }),
          indicatorName(ind.ref), ' ', h('code', { class: 'muted small', text: ind.ref })),
        h('label', { class: 'weight' }, h('span', { class: 'sr', text: t('comp.weight') }),
          h('input', { type: 'number', class: 'ind-weight', min: '0', step: 'any', value: String(chosen.get(ind.ref) ?? 1), 'aria-label': `${t('comp.weight')} ${ind.ref}` })));
    });
    const select = (id, value, options, prefix) => h('select', { id, value }, options.map((o) => h('option', { value: o, text: tOr(prefix + o, o) })));
    const num = (id, value, attrs) => h('input', { id, type: 'number', value: String(value), ...attrs });
    const form = h('form', { class: 'controls composite-form' },
      h('fieldset', { class: 'inds' }, h('legend', { text: t('comp.indicators') }), checks),
      h('div', { class: 'opts' },
        field(t('cmp.period'), periodPicker(cat.periods, spec.period)),
        field(t('comp.norm'), select('pick-norm', spec.normalisation, ['min_max', 'z_score', 'distance_to_frontier'], 'norm.')),
        field(t('comp.agg'), select('pick-agg', spec.aggregation, ['arithmetic', 'geometric'], 'agg.')),
        field(t('comp.missing'), select('pick-missing', spec.missing, ['exclude', 'reweight'], 'miss.')),
        field(t('comp.draws'), num('pick-draws', spec.draws, { min: 0, max: 100000, step: 1 })),
        field(t('comp.seed'), num('pick-seed', spec.seed, { min: 0, step: 1 })),
        field(t('comp.perturb'), num('pick-p', spec.perturbation, { min: 0, max: 0.99, step: 0.05 })),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'pick-flagged', checked: spec.include_flagged }), t('comp.flagged')),
        h('button', { type: 'submit', class: 'btn btn-primary', text: t('comp.submit') })));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const indicators = [];
      form.querySelectorAll('.ind-row').forEach((row) => {
        const cb = row.querySelector('.ind-check');
        if (cb.checked) indicators.push({ indicator: cb.value, weight: row.querySelector('.ind-weight').value || 1 });
      });
      go('composite', specParams({
        indicators, period: $('#pick-period').value.trim() || spec.period,
        normalisation: $('#pick-norm').value, aggregation: $('#pick-agg').value, missing: $('#pick-missing').value,
        draws: $('#pick-draws').value || 1000, seed: $('#pick-seed').value || 0, perturbation: $('#pick-p').value || 0.5,
        include_flagged: $('#pick-flagged').checked,
      }));
    });
    return form;
  }

  const RENDERERS = { overview: pageOverview, comparison: pageComparison, trend: pageTrend, recognition: pageRecognition, composite: pageComposite, public: pagePublic, twin: pageTwin, whatif: pageWhatif, debt: pageDebt, hotline: pageHotline };

  // ------------------------------------------------------------------ charts

  let chartSeq = 0;
  const W = 960; // every chart draws in a 960-unit-wide viewBox and scales to its box

  /** A nice [lo, hi, step] around the values; zero included unless `zoom` is
   *  allowed and the values bunch far from zero (then the axis says so). */
  function niceScale(vals, zoom, pad = 0.8) {
    let mn = Math.min(...vals), mx = Math.max(...vals);
    if (!Number.isFinite(mn)) { mn = 0; mx = 1; }
    let lo = Math.min(0, mn), hi = Math.max(0, mx);
    if (zoom && mn > 0 && mx - mn < 0.3 * mx) lo = mn - (mx - mn || mx * 0.05) * pad;
    if (zoom && mx < 0 && mx - mn < 0.3 * -mn) hi = mx + (mx - mn || -mn * 0.05) * pad;
    if (hi === lo) hi = lo + 1;
    const raw = (hi - lo) / 5, p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
    const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
    return [lo, hi, step];
  }
  function ticks(lo, hi, step) {
    const out = [];
    for (let v = lo; v <= hi + step * 1e-6; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function svgRoot(h_, label) {
    return s('svg', { class: 'chart', viewBox: `0 0 ${W} ${h_}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' },
      s('title', { text: label }));
  }
  function hatch(id) {
    return s('defs', null, s('pattern', { id, width: 7, height: 7, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      s('rect', { width: 7, height: 7, fill: '#eceef1' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 7, stroke: '#9aa1ab', 'stroke-width': 3 })));
  }

  /** Horizontal bars of the harmonised value, ranked rows first; flagged rows hatched. */
  /** The composite's method sentence: the node's own in English; in Chinese,
   *  the same sentence put together from the settings it names. */
  function methodText(res) {
    const keys = ['mw.miss.' + res.missing, 'mw.norm.' + res.normalisation, 'mw.agg.' + res.aggregation];
    if (state.lang !== 'zh' || !keys.every((k) => k in DICT.zh)) return res.method;
    return keys.map((k) => t(k)).concat(t('mw.intervals', { draws: res.draws, p: res.perturbation })).join('；') + '。';
  }

  /** Bars from zero, so that their lengths compare as the values do. */
  function barChart(cmp) {
    const rows = cmp.rows;
    const rowH = rowHeight(rows.length, 38), top = 30, left = 210, right = 230, bottom = 46;
    const H = top + rows.length * rowH + bottom;
    const vals = rows.map((r) => r.value).concat(cmp.median !== undefined ? [cmp.median] : []);
    const [lo, hi, step] = niceScale(vals, false);
    const x = (v) => left + ((v - lo) / (hi - lo)) * (W - left - right);
    const base = 0;
    const id = 'hatch' + ++chartSeq;
    const unit = unitLabel(cmp.unit);
    const svg = svgRoot(H, t('cmp.heading', { name: indicatorName(cmp.indicator), period: cmp.period }));
    if (rowH < 38) svg.dataset.density = 'dense';
    svg.append(hatch(id));
    for (const v of ticks(lo, hi, step)) {
      svg.append(s('line', { x1: x(v), x2: x(v), y1: top - 6, y2: H - bottom, class: 'grid' }),
        s('text', { x: x(v), y: H - bottom + 18, 'text-anchor': 'middle', class: 'tick', text: fmt(v) }));
    }
    svg.append(s('line', { x1: x(base), x2: x(base), y1: top - 6, y2: H - bottom, class: 'axis' }),
      s('text', { x: (left + W - right) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-label',
        text: unit }));
    rows.forEach((r, i) => {
      const y = top + i * rowH;
      const flagged = (r.flags || []).length > 0;
      const w = Math.abs(x(r.value) - x(base));
      const tip = [`${jurName(r.jurisdiction)} (${r.jurisdiction}): ${fmt(r.value)} ${unit}`,
        r.rank !== undefined ? `${t('col.rank')} ${r.rank}` : (r.flags || []).map((f) => tOr('flag.' + f, f)).join(', '),
        `${t('col.source')}: ${fmt(r.source_value, 4)} ${r.source_indicator}`].join('\n');
      const g = s('g', { class: 'bar' + (flagged ? ' flagged' : ''), dataset: { jurisdiction: r.jurisdiction } }, s('title', { text: tip }));
      g.append(
        s('text', { x: left - 12, y: y + rowH / 2 + 1, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label' },
          s('tspan', { class: 'rank', text: r.rank !== undefined ? `${r.rank}.  ` : '–  ' }), clip(jurName(r.jurisdiction), 22)),
        s('rect', { x: Math.min(x(base), x(r.value)), y: y + rowH * 0.16, width: Math.max(w, 1.5), height: rowH * 0.68, rx: 2,
          fill: flagged ? `url(#${id})` : colorOf(r.jurisdiction), stroke: flagged ? '#8a8f98' : 'none' }),
        s('text', { x: Math.max(x(base), x(r.value)) + 8, y: y + rowH / 2 + 1, 'dominant-baseline': 'middle', class: 'value' },
          fmt(r.value), flagged ? s('tspan', { class: 'flag-text', text: '  ⚑ ' + r.flags.map((f) => tOr('flag.' + f, f)).join(', ') }) : null));
      svg.append(g);
    });
    // The median and the frontier (the best ranked value: a flagged bar may
    // pass it, being shown but not ranked). Labels close together part,
    // the one further right reading rightwards.
    const marks = [['median', cmp.median, t('cmp.median')], ['frontier', cmp.frontier, t('cmp.frontier')]]
      .filter(([, v]) => v !== undefined && v !== null);
    const near = marks.length === 2 && Math.abs(x(marks[0][1]) - x(marks[1][1])) < 140;
    const rightmost = marks.length === 2 && x(marks[1][1]) >= x(marks[0][1]) ? 1 : 0;
    marks.forEach(([cls, v, label], i) => {
      const anchor = !near ? 'middle' : (i === rightmost ? 'start' : 'end');
      const dx = anchor === 'start' ? 4 : anchor === 'end' ? -4 : 0;
      svg.append(s('line', { x1: x(v), x2: x(v), y1: top - 10, y2: H - bottom, class: cls }),
        s('text', { x: x(v) + dx, y: top - 14, 'text-anchor': anchor, class: cls + '-label', text: `${label} ${fmt(v)}` }));
    });
    return svg;
  }

  /** One line per jurisdiction over the periods; flagged points hollow. */
  function lineChart(periods, series, unit) {
    const H = 400, top = 24, left = 74, right = 190, bottom = 52;
    const vals = series.flatMap((sr) => sr.points.filter(Boolean).map((p) => p.value));
    const [lo, hi, step] = niceScale(vals, true, 0.15);
    const n = periods.length;
    const x = (i) => (n === 1 ? (left + W - right) / 2 : left + (i / (n - 1)) * (W - left - right));
    const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
    const svg = svgRoot(H, series.map((sr) => sr.label).join(', '));
    for (const v of ticks(lo, hi, step)) {
      svg.append(s('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }),
        s('text', { x: left - 8, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick', text: fmt(v) }));
    }
    periods.forEach((p, i) => svg.append(s('text', { x: x(i), y: H - bottom + 20, 'text-anchor': 'middle', class: 'tick', text: p })));
    svg.append(s('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: 'axis' }),
      s('text', { x: 16, y: top + (H - top - bottom) / 2, transform: `rotate(-90 16 ${top + (H - top - bottom) / 2})`, 'text-anchor': 'middle', class: 'axis-label', text: unit }));
    const legendY = [];
    series.forEach((sr) => {
      const g = s('g', { class: 'series' + (sr.dashed ? ' dashed' : ''), dataset: { jurisdiction: sr.code } });
      let d = '', pen = false, last = null;
      sr.points.forEach((pt, i) => {
        if (!pt) { pen = false; return; }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(pt.value).toFixed(1)} `;
        pen = true; last = [i, pt];
      });
      g.append(s('path', { d, fill: 'none', stroke: sr.color, 'stroke-width': sr.dashed ? 1.5 : 2.5, 'stroke-dasharray': sr.dashed ? '6 4' : null }));
      sr.points.forEach((pt, i) => {
        if (!pt || sr.dashed) return;
        const flagged = pt.flags.length > 0;
        g.append(s('circle', { cx: x(i), cy: y(pt.value), r: 5, fill: flagged ? '#fff' : sr.color, stroke: sr.color, 'stroke-width': 2,
          'stroke-dasharray': flagged ? '2 2' : null },
          s('title', { text: `${sr.label} (${sr.code}) ${pt.period}: ${fmt(pt.value)} ${unit}` +
            (pt.rank !== undefined ? ` · ${t('col.rank')} ${pt.rank}` : '') + (flagged ? ` · ⚑ ${pt.flags.map((f) => tOr('flag.' + f, f)).join(', ')}` : '') })));
      });
      if (last) legendY.push({ sr, y: y(last[1].value), g });
      svg.append(g);
    });
    // End labels at the right, nudged apart so they don't overlap; too many
    // to fit are left to the points' tooltips and the table below.
    if (legendY.length > Math.floor((H - top) / 18)) legendY.length = 0;
    legendY.sort((a, b) => a.y - b.y);
    for (let i = 1; i < legendY.length; i++) legendY[i].y = Math.max(legendY[i].y, legendY[i - 1].y + 18);
    for (const { sr, y: ly, g } of legendY) {
      g.append(s('text', { x: W - right + 12, y: ly, 'dominant-baseline': 'middle', class: 'legend-text', fill: sr.color, text: sr.label }));
    }
    return svg;
  }

  /** Composite ranks: a dot at the rank, a line over the P5–P95 interval. */
  function intervalChart(rows, total) {
    const rowH = rowHeight(rows.length, 38), top = 46, left = 210, right = 150;
    // A long list repeats the rank axis at its foot.
    const bottom = rows.length > 15 ? 36 : 20;
    const N = Math.max(total || rows.length, ...rows.map((r) => r.rank_interval[1]), 2);
    const H = top + rows.length * rowH + bottom;
    const inner = 24; // keeps the end dots off the labels
    // At most 90 px a rank, so that a few members are not spread over the
    // whole width with their indices far out at its end.
    const span = Math.min(W - left - right - 2 * inner, (N - 1) * 90);
    const x = (k) => left + inner + ((k - 1) / (N - 1)) * span;
    const valueX = left + 2 * inner + span + 16;
    const svg = svgRoot(H, t('comp.rank_axis'));
    const every = Math.ceil(N / 12);
    for (let k = 1; k <= N; k++) {
      if ((k - 1) % every) continue;
      svg.append(s('line', { x1: x(k), x2: x(k), y1: top - 8, y2: H - bottom, class: 'grid' }),
        s('text', { x: x(k), y: top - 14, 'text-anchor': 'middle', class: 'tick', text: String(k) }));
      if (rows.length > 15) svg.append(s('text', { x: x(k), y: H - bottom + 20, 'text-anchor': 'middle', class: 'tick', text: String(k) }));
    }
    if (rowH < 38) svg.dataset.density = 'dense';
    const half = Math.min(9, rowH * 0.35), dot = Math.min(7, rowH * 0.28);
    svg.append(s('text', { x: left, y: 14, class: 'axis-label', text: t('comp.rank_axis') }));
    rows.forEach((r, i) => {
      const y = top + i * rowH + rowH / 2;
      const [a, b] = r.rank_interval;
      const c = colorOf(r.jurisdiction);
      svg.append(s('g', { class: 'interval', dataset: { jurisdiction: r.jurisdiction } },
        s('title', { text: `${jurName(r.jurisdiction)} (${r.jurisdiction}): ${t('col.rank')} ${r.rank}, P5–P95 ${a}–${b}, ${t('comp.index')} ${fmt(r.index, 2)}` }),
        s('text', { x: left - 12, y, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label' },
          s('tspan', { class: 'rank', text: `${r.rank}.  ` }), clip(jurName(r.jurisdiction), 22)),
        s('line', { x1: x(a), x2: x(b), y1: y, y2: y, stroke: c, 'stroke-width': 6, 'stroke-linecap': 'round', opacity: 0.35 }),
        s('line', { x1: x(a), x2: x(a), y1: y - half, y2: y + half, stroke: c, 'stroke-width': 2 }),
        s('line', { x1: x(b), x2: x(b), y1: y - half, y2: y + half, stroke: c, 'stroke-width': 2 }),
        s('circle', { cx: x(r.rank), cy: y, r: dot, fill: c, stroke: '#fff', 'stroke-width': 2 }),
        s('text', { x: valueX, y, 'dominant-baseline': 'middle', class: 'value', text: `${fmt(r.index, 2)}  (${a}–${b})` })));
    });
    return svg;
  }

  /** Stacked bars: documents per issuer, one colour per kind. */
  function docChart(issuers, kinds, counts) {
    const rowH = rowHeight(issuers.length, 30), top = 40, left = 210, right = 60, bottom = 12;
    const H = top + issuers.length * rowH + bottom;
    const max = Math.max(1, ...issuers.map((i) => Object.values(counts.get(i)).reduce((a, b) => a + b, 0)));
    const x = (v) => (v / max) * (W - left - right);
    const svg = svgRoot(H, t('docs.title'));
    let lx = left;
    for (const k of kinds) {
      const label = tOr('kind.' + k, k);
      svg.append(s('rect', { x: lx, y: 8, width: 12, height: 12, fill: KIND_COLORS[k] || '#999' }),
        s('text', { x: lx + 17, y: 18, class: 'legend-text', text: label }));
      lx += 30 + label.length * (state.lang === 'zh' ? 14 : 7.5);
    }
    issuers.forEach((iss, i) => {
      const y = top + i * rowH;
      const row = counts.get(iss);
      let cx = left, total = 0;
      svg.append(s('text', { x: left - 12, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label' },
        s('title', { text: `${jurName(iss)} (${iss})` }), clip(jurName(iss), 22)));
      for (const k of kinds) {
        if (!row[k]) continue;
        svg.append(s('rect', { x: cx, y: y + rowH * 0.16, width: x(row[k]), height: rowH * 0.68, fill: KIND_COLORS[k] || '#999', stroke: '#fff' },
          s('title', { text: `${jurName(iss)} (${iss}) · ${tOr('kind.' + k, k)}: ${row[k]}` })));
        cx += x(row[k]); total += row[k];
      }
      svg.append(s('text', { x: cx + 8, y: y + rowH / 2, 'dominant-baseline': 'middle', class: 'value', text: String(total) }));
    });
    return svg;
  }

  /** One stacked bar of crosswalk counts by status. */
  function statusChart(counts) {
    const order = ['recognised', 'pending', 'rejected', 'superseded'];
    const total = order.reduce((a, k) => a + (counts[k] || 0), 0);
    const H = 64, left = 10, right = 10;
    const svg = svgRoot(H, t('rec.by_status'));
    svg.classList.add('chart-slim');
    let cx = left;
    for (const k of order) {
      const n = counts[k] || 0;
      if (!n) continue;
      const w = (n / total) * (W - left - right);
      svg.append(s('g', null, s('title', { text: `${t('status.' + k)}: ${n}` }),
        s('rect', { x: cx, y: 8, width: w, height: 28, fill: STATUS_COLORS[k], stroke: '#fff' }),
        s('text', { x: cx + 8, y: 23, 'dominant-baseline': 'middle', class: 'bar-text', text: `${t('status.' + k)} ${n}` })));
      cx += w;
    }
    svg.append(s('text', { x: left, y: 56, class: 'tick', text: `${t('rec.by_status')}: ${total}` }));
    return svg;
  }

  // ------------------------------------------------------------------- boot

  function boot() {
    const saved = storageGet('localStorage', LANG_KEY);
    state.lang = saved === 'zh' || saved === 'en' ? saved
      : (String(navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
    captureToken();
    if (!location.hash || !location.hash.startsWith('#/')) {
      const { page, params } = parseHash();
      history.replaceState(null, '', location.pathname + location.search + hashFor(page, params));
    }
    window.addEventListener('hashchange', () => { captureToken(); render(); });
    for (const b of document.querySelectorAll('.lang-btn')) {
      b.addEventListener('click', () => {
        state.lang = b.dataset.lang;
        storageSet('localStorage', LANG_KEY, state.lang);
        render();
      });
    }
    $('#sign-out').addEventListener('click', () => {
      storageSet('sessionStorage', TOKEN_KEY, null);
      state.token = '';
      state.cache.clear();
      render();
    });
    render();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
