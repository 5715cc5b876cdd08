// A made-up catalog of 20 services × 50 tools, like a large real deployment:
// each service has ten kinds of thing and five operations on each. Names
// collide across services (issue, message, customer, event, ...), as they do
// in practice, so aggregate prefixes them. Plain JavaScript so that the
// fixture server runs on Node 20 without a build; JSDoc types it for the tests.

/**
 * @typedef {{ name: string, description: string, inputSchema: { type: 'object', properties: Record<string, { type: string, description: string }>, required: string[], [key: string]: unknown } }} CatalogTool
 * @typedef {{ query: string, upstream: string, tools: string[] }} LabelledQuery
 */

/** @type {Record<string, [string, string[]]>} Service → [display name, ten "thing|what it is|its fields"]. */
const SERVICES = {
  github: [
    'GitHub',
    [
      'repository|a git repository holding source code|owner,name',
      'issue|a bug report or feature request in a repository|repo,title,body',
      'pull_request|a proposed change to merge one branch into another|repo,head,base,title',
      'branch|a line of development in a repository|repo,name,from',
      'commit|a recorded change to the files of a repository|repo,sha',
      'release|a tagged version of a repository with notes and assets|repo,tag,notes',
      'workflow_run|one run of a GitHub Actions CI workflow|repo,workflow',
      'gist|a small shared snippet of code or text|description,files',
      'webhook|a URL GitHub calls when repository events happen|repo,url,events',
      'collaborator|a person with access to a repository|repo,username,permission',
    ],
  ],
  jira: [
    'Jira',
    [
      'project|a Jira project grouping issues for a team|key,name',
      'issue|a Jira ticket: a task, story or bug to track|project,summary,type',
      'sprint|a time-boxed iteration of agile work on a board|board,name,goal',
      'board|a scrum or kanban board showing issues|project,type',
      'epic|a large body of work split into stories|project,summary',
      'comment|a remark left on a Jira issue|issue,body',
      'worklog|time logged as spent working on an issue|issue,time_spent',
      'version|a planned release version of a project|project,name,release_date',
      'component|a part of a project issues can be filed under|project,name,lead',
      'filter|a saved JQL search for issues|name,jql',
    ],
  ],
  slack: [
    'Slack',
    [
      'channel|a Slack conversation channel, public or private|name,is_private',
      'message|a chat message posted in a channel or direct conversation|channel,text',
      'user|a member of the Slack workspace|user_id',
      'reaction|an emoji reaction added to a message|channel,timestamp,emoji',
      'file|a file uploaded and shared in Slack|channel,filename',
      'reminder|a reminder Slackbot sends at a given time|text,time',
      'bookmark|a link pinned to the top of a channel|channel,title,link',
      'usergroup|a named group of users that can be mentioned together|name,handle',
      'pin|a message pinned to a channel|channel,timestamp',
      'emoji|a custom emoji of the workspace|name,image_url',
    ],
  ],
  email: [
    'Gmail',
    [
      'message|an email message in the mailbox|to,subject,body',
      'draft|an unsent email draft|to,subject,body',
      'label|a label used to organise emails|name,color',
      'thread|a conversation of emails and their replies|thread_id',
      'attachment|a file attached to an email|message_id,attachment_id',
      'filter|a rule that sorts incoming mail automatically|criteria,action',
      'contact|a person in the address book with an email address|name,email',
      'signature|the text appended to outgoing emails|text',
      'vacation_responder|an automatic out-of-office reply|subject,message,end_date',
      'alias|another send-as email address for the account|address',
    ],
  ],
  calendar: [
    'Google Calendar',
    [
      'event|a meeting or appointment on a calendar|calendar,summary,start,end',
      'calendar|a calendar holding events|summary,timezone',
      'attendee|a guest invited to an event|event,email',
      'reminder|a notification before an event starts|event,minutes',
      'room|a meeting room that can be booked for events|building,capacity',
      'availability|free and busy times of people for scheduling|emails,start,end',
      'recurrence|the repeat rule of a recurring event|event,rule',
      'invitation|an invitation to an event awaiting an answer|event,response',
      'timezone|the time zone a calendar shows times in|calendar,zone',
      'working_hours|the hours a person is available to meet|days,start,end',
    ],
  ],
  drive: [
    'Google Drive',
    [
      'file|a document, sheet or other file stored in Drive|name,folder',
      'folder|a folder organising files in Drive|name,parent',
      'permission|who may view, comment on or edit a file|file,email,role',
      'revision|an earlier saved version of a file|file,revision_id',
      'comment|a comment left on a shared document|file,content',
      'shortcut|a link to a file placed in another folder|target,folder',
      'shared_drive|a drive owned by a team rather than one person|name',
      'upload|a file upload into Drive|name,content,mime_type',
      'export|a document converted to PDF or another format|file,mime_type',
      'trash_item|a deleted file waiting in the trash|file',
    ],
  ],
  postgres: [
    'PostgreSQL',
    [
      'table|a database table with columns and rows|schema,name,columns',
      'row|a record stored in a table|table,values',
      'index|an index that speeds up queries on table columns|table,columns',
      'schema|a namespace of tables in the database|name',
      'view|a stored SQL query that acts as a virtual table|name,sql',
      'role|a database user or group with privileges|name,privileges',
      'query|a SQL statement run against the database|sql',
      'backup|a dump of the database to restore later|database',
      'extension|an installed PostgreSQL extension such as PostGIS|name',
      'connection|an open client connection to the database server|pid',
    ],
  ],
  stripe: [
    'Stripe',
    [
      'customer|a paying customer with cards and billing details|email,name',
      'payment_intent|a card payment charged to a customer|amount,currency,customer',
      'invoice|a bill sent to a customer for payment|customer,items',
      'subscription|a recurring plan a customer is billed for|customer,price',
      'refund|money returned to a customer for a charge|payment_intent,amount',
      'product|something sold, with prices|name,description',
      'price|the amount and billing interval of a product|product,unit_amount',
      'coupon|a discount code applied to invoices|percent_off,duration',
      'payout|money sent from the Stripe balance to a bank account|amount',
      'dispute|a chargeback a cardholder raised with their bank|charge,evidence',
    ],
  ],
  weather: [
    'Weather',
    [
      'forecast|the predicted weather for the coming days at a place|city,days',
      'current_condition|the weather right now: temperature, wind, rain|city',
      'alert|a severe weather warning such as a storm or flood|region',
      'air_quality|the air pollution index at a place|city',
      'radar_map|a precipitation radar image of an area|lat,lon,zoom',
      'historical_record|past weather measured on a date|city,date',
      'station|a weather station that takes measurements|station_id',
      'uv_index|the strength of ultraviolet sunlight|city',
      'pollen_count|pollen levels for allergy sufferers|city',
      'sunrise_time|when the sun rises and sets at a place|city,date',
    ],
  ],
  maps: [
    'Maps',
    [
      'place|a business or point of interest on the map|query',
      'route|driving, walking or transit directions between two places|origin,destination,mode',
      'geocode|coordinates for a street address|address',
      'distance_matrix|travel times and distances between many places|origins,destinations',
      'elevation|the height above sea level of a location|lat,lon',
      'timezone|the time zone of a location on Earth|lat,lon',
      'nearby_search|places near a location, such as restaurants|lat,lon,type',
      'photo|a photograph of a place|place_id',
      'autocomplete|suggested places as an address is typed|input',
      'static_map|a map image of an area|center,zoom',
    ],
  ],
  kubernetes: [
    'Kubernetes',
    [
      'pod|a running group of containers in the cluster|namespace,name',
      'deployment|a set of replicated pods rolled out together|namespace,name,replicas',
      'service|a stable network endpoint in front of pods|namespace,name,port',
      'namespace|a virtual cluster that isolates resources|name',
      'config_map|non-secret configuration data for pods|namespace,name,data',
      'secret|a password, token or key stored in the cluster|namespace,name',
      'ingress|HTTP routing from outside the cluster to services|namespace,host',
      'node|a worker machine in the cluster|name',
      'job|a batch task that runs pods to completion|namespace,image',
      'log|the output a container wrote|namespace,pod,container',
    ],
  ],
  aws: [
    'AWS',
    [
      'instance|an EC2 virtual machine|type,image',
      'bucket|an S3 storage bucket for objects|name,region',
      'lambda_function|a serverless function run on demand|name,runtime',
      'security_group|firewall rules for instances|vpc,rules',
      'volume|an EBS block storage disk|size,zone',
      'snapshot|a point-in-time copy of a disk volume|volume',
      'load_balancer|spreads traffic across instances|name,targets',
      'dns_record|a Route 53 domain name record|zone,name,value',
      'iam_user|an identity with credentials and policies|name',
      'alarm|a CloudWatch alarm on a metric threshold|metric,threshold',
    ],
  ],
  notion: [
    'Notion',
    [
      'page|a Notion page of notes and content|parent,title',
      'database|a Notion database: a table of pages with properties|parent,title',
      'block|a paragraph, heading or list item inside a page|page,content',
      'comment|a discussion comment on a page|page,text',
      'property|a column of a Notion database|database,name,type',
      'template|a reusable page layout|name',
      'workspace_member|a person in the Notion workspace|email',
      'link|a link preview embedded in a page|url',
      'cover_image|the banner image at the top of a page|page,url',
      'icon|the emoji or picture beside a page title|page,emoji',
    ],
  ],
  crm: [
    'Salesforce',
    [
      'lead|a prospective customer not yet qualified for sales|name,company',
      'contact|a person at a customer account|name,email,account',
      'account|a company the sales team does business with|name,industry',
      'opportunity|a potential sales deal with an amount and stage|account,amount,stage',
      'case|a customer problem logged for the service team|account,subject',
      'task|a follow-up to-do for a salesperson|subject,due_date',
      'campaign|a marketing campaign that generates leads|name,budget',
      'note|a free-text note attached to a record|record,body',
      'quote|a priced proposal for an opportunity|opportunity,lines',
      'activity|a logged call, meeting or email with a customer|record,type',
    ],
  ],
  shop: [
    'Shopify',
    [
      'product|an item for sale in the online store|title,price',
      'order|a purchase a shopper placed in the store|order_id',
      'customer|a shopper with an account in the store|email,name',
      'inventory_level|how many units of a product are in stock at a location|product,location,quantity',
      'collection|a group of products shown together|title,products',
      'discount|a promotion code lowering prices at checkout|code,value',
      'fulfillment|the shipment of an order to the buyer|order,tracking_number',
      'shipping_zone|rates for delivering to a set of countries|name,countries',
      'gift_card|a prepaid store credit code|value',
      'return|goods a buyer sends back for a refund|order,reason',
    ],
  ],
  analytics: [
    'Analytics',
    [
      'report|a table of website traffic figures for a date range|metrics,start,end',
      'event|a tracked user action such as a click or signup|name,properties',
      'funnel|the conversion steps users go through|steps',
      'cohort|a group of users who signed up in the same week|start',
      'dashboard|a board of charts for key metrics|name,charts',
      'segment|a saved subset of users matching conditions|name,conditions',
      'metric|a measured number such as page views or revenue|name,formula',
      'goal|a target conversion to measure|name,target',
      'experiment|an A/B test comparing two variants|name,variants',
      'annotation|a note marking a date on charts|date,text',
    ],
  ],
  music: [
    'Spotify',
    [
      'track|a song|track_id',
      'album|a music album by an artist|album_id',
      'artist|a musician or band|artist_id',
      'playlist|a user list of songs|name,tracks',
      'queue_item|a song waiting to play next|track',
      'podcast_episode|an episode of a podcast show|episode_id',
      'device|a speaker or phone music can play on|device_id',
      'recommendation|songs suggested from seeds|seed_artists,seed_tracks',
      'saved_track|a song liked into the library|track',
      'lyrics|the words of a song|track',
    ],
  ],
  travel: [
    'Travel',
    [
      'flight|an airline flight between two airports|origin,destination,date',
      'hotel|a hotel with rooms to stay in|city,check_in,check_out',
      'booking|a reservation of a flight, hotel or car|offer_id,traveller',
      'car_rental|a rental car picked up at a location|location,pick_up,drop_off',
      'itinerary|the plan of a whole trip|trip_id',
      'passenger|a traveller on a booking with passport details|booking,name',
      'seat|a seat on a flight|flight,seat_number',
      'fare_alert|a notice when flight prices drop|origin,destination',
      'loyalty_account|a frequent flyer or hotel rewards membership|program,number',
      'visa_requirement|entry rules for a passport to a country|passport,country',
    ],
  ],
  hr: [
    'HR',
    [
      'employee|a person employed by the company|name,department',
      'time_off_request|a request for vacation or sick leave|employee,start,end',
      'payroll_run|the salary payments for a pay period|period',
      'department|a team in the company org chart|name,manager',
      'job_posting|an open position advertised to applicants|title,department',
      'candidate|a job applicant in the hiring pipeline|name,job',
      'interview|a scheduled interview with a candidate|candidate,time',
      'review|a performance review of an employee|employee,rating',
      'benefit_plan|health, dental or pension benefits offered|name',
      'onboarding_task|a step for a new hire to complete|employee,title',
    ],
  ],
  support: [
    'Zendesk',
    [
      'ticket|a customer support request|subject,requester,priority',
      'macro|a canned reply agents apply to tickets|title,actions',
      'agent|a support team member who answers tickets|name,email',
      'satisfaction_rating|a customer rating of support received|ticket,score',
      'article|a help center knowledge base article|title,body',
      'view|a saved list of tickets matching conditions|title,conditions',
      'sla_policy|response time targets for tickets|name,targets',
      'tag|a label added to tickets|name',
      'trigger|an automatic rule run when tickets change|title,conditions',
      'organization|a customer company with its users|name,domains',
    ],
  ],
};

/** @param {string} thing */
const spaced = (thing) => thing.replaceAll('_', ' ');
/** @param {string} thing */
const plural = (thing) => (/(s|x|ch)$/.test(thing) ? `${thing}es` : /[^aeiou]y$/.test(thing) ? `${thing.slice(0, -1)}ies` : `${thing}s`);
/** @param {string} word */
const article = (word) => (/^[aeiou]/.test(word) ? 'an' : 'a');

/**
 * @param {string[]} fields
 * @param {string[]} required
 * @returns {CatalogTool['inputSchema']}
 */
function schema(fields, required) {
  /** @type {Record<string, { type: string, description: string }>} */
  const properties = {};
  for (const f of fields) properties[f] = { type: 'string', description: `The ${spaced(f)}.` };
  return { type: 'object', properties, required };
}

/**
 * The five tools for one kind of thing in one service.
 * @param {string} service
 * @param {string} thing
 * @param {string} what
 * @param {string[]} fields
 * @returns {CatalogTool[]}
 */
function toolsFor(service, thing, what, fields) {
  const t = spaced(thing);
  const id = `${thing}_id`;
  return [
    { name: `create_${thing}`, description: `Create ${article(t)} ${t} in ${service}: ${what}.`, inputSchema: schema(fields, fields.slice(0, 1)) },
    {
      name: `list_${plural(thing)}`,
      description: `List ${spaced(plural(thing))} in ${service}, newest first, with filters and paging.`,
      inputSchema: schema(['query', 'limit'], []),
    },
    { name: `get_${thing}`, description: `Get one ${t} from ${service} by id: ${what}, with all its details.`, inputSchema: schema([id], [id]) },
    { name: `update_${thing}`, description: `Update ${article(t)} ${t} in ${service}: change its fields.`, inputSchema: schema([id, ...fields], [id]) },
    { name: `delete_${thing}`, description: `Delete ${article(t)} ${t} from ${service}. This cannot be undone.`, inputSchema: schema([id], [id]) },
  ];
}

/**
 * The catalog: upstream name → its 50 tools.
 * @returns {Record<string, CatalogTool[]>}
 */
export function catalog() {
  /** @type {Record<string, CatalogTool[]>} */
  const out = {};
  for (const [upstream, [service, things]] of Object.entries(SERVICES)) {
    out[upstream] = things.flatMap((line) => {
      const [thing = '', what = '', fields = ''] = line.split('|');
      return toolsFor(service, thing, what, fields.split(','));
    });
  }
  return out;
}

/**
 * Queries as an agent would type them, each with the tools that answer it
 * (any one counts as a hit). Written against the catalog above, many in
 * words its names do not use; several are ambiguous on purpose.
 */
/** @type {LabelledQuery[]} */
export const QUERIES = /** @type {Array<[string, string, string[]]>} */ ([
  ['create a github issue', 'github', ['create_issue']],
  ['file a bug report in a repository', 'github', ['create_issue']],
  ['post a chat message in a slack channel', 'slack', ['create_message']],
  ['weather forecast for the next days in Paris', 'weather', ['get_forecast', 'list_forecasts']],
  ['refund a payment to a customer', 'stripe', ['create_refund']],
  ['list pods in a kubernetes namespace', 'kubernetes', ['list_pods']],
  ['search hotels in Rome', 'travel', ['list_hotels', 'get_hotel']],
  ['remove a file from google drive', 'drive', ['delete_file']],
  ['run a SQL statement against the database', 'postgres', ['create_query']],
  ["cancel a customer's recurring plan", 'stripe', ['delete_subscription', 'update_subscription']],
  ['driving directions between two places', 'maps', ['get_route', 'create_route', 'list_routes']],
  ['is there a storm warning', 'weather', ['list_alerts', 'get_alert']],
  ['add a guest to a meeting', 'calendar', ['create_attendee']],
  ['schedule a meeting', 'calendar', ['create_event']],
  ['send an email', 'email', ['create_message', 'create_draft']],
  ['out of office auto reply', 'email', ['create_vacation_responder', 'update_vacation_responder']],
  ['request vacation days', 'hr', ['create_time_off_request']],
  ['open a support ticket for a customer', 'support', ['create_ticket']],
  ['review a proposed change to merge a branch', 'github', ['get_pull_request', 'list_pull_requests', 'create_pull_request']],
  ['show container logs of a pod', 'kubernetes', ['get_log', 'list_logs']],
  ['scale the replicas of a deployment', 'kubernetes', ['update_deployment']],
  ['create an S3 storage bucket', 'aws', ['create_bucket']],
  ['add a song to a playlist', 'music', ['update_playlist', 'create_playlist']],
  ['which songs did I like', 'music', ['list_saved_tracks']],
  ['log time spent on a jira ticket', 'jira', ['create_worklog']],
  ['new sales deal', 'crm', ['create_opportunity']],
  ['how many units are in stock', 'shop', ['get_inventory_level', 'list_inventory_levels']],
  ['track the shipment of an order', 'shop', ['get_fulfillment', 'list_fulfillments']],
  ['results of an A/B test', 'analytics', ['get_experiment', 'list_experiments']],
  ['air pollution in Beijing', 'weather', ['get_air_quality']],
  ['book a flight', 'travel', ['create_booking', 'create_flight', 'list_flights']],
  ['give someone edit access to a document', 'drive', ['create_permission', 'update_permission']],
  ['store an API token in the cluster', 'kubernetes', ['create_secret']],
  ['firewall rules for ec2 instances', 'aws', ['create_security_group', 'update_security_group', 'list_security_groups', 'get_security_group']],
  ['help center knowledge base articles', 'support', ['list_articles', 'get_article']],
  ['list job applicants', 'hr', ['list_candidates']],
]).map(([query, upstream, tools]) => ({ query, upstream, tools }));
