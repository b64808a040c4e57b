// The agent's filters and sort, kept while they open tickets and come back.
export interface QueueFilters {
  q: string;
  status: string; // 'open' | '' (any) | a status
  type: string;
  priority: string;
  support_level: string;
  assignee: string; // '' | 'none' | id
  group: string; // '' | 'none' | id
  category: string; // '' | id
  requesterText: string;
  requester: string; // '' | id, resolved from requesterText
}

export const emptyFilters = (): QueueFilters => ({
  q: '',
  status: 'open',
  type: '',
  priority: '',
  support_level: '',
  assignee: '',
  group: '',
  category: '',
  requesterText: '',
  requester: '',
});

export const queueState = $state<{ filters: QueueFilters; sort: string }>({
  filters: emptyFilters(),
  sort: '-id',
});
